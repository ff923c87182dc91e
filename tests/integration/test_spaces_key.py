# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""spaces_key against the emulator; the keys it makes are then used against the sandbox S3 server.

Limit of the sandbox: moto's S3 server accepts any credentials and enforces no grants, so these tests
show that keys made through the API work as S3 credentials end to end, and check the grants through the
API (emulator state) — not that a read-only key is refused a write (only real Spaces enforces that).
"""

import json
import os
import uuid

import pytest

pytestmark = pytest.mark.sandbox


def keys_named(emulator, name):
    return [k for k in emulator.store.get("spaces_keys", {}).values() if k["name"] == name]


def test_created_secret_once_then_unchanged(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    grants = [{"bucket": "n8n-storage", "permission": "readwrite"}, {"bucket": "n8n-backups", "permission": "read"}]
    first = run_module("spaces_key", {"name": name, "grants": grants})
    assert first["changed"] is True, first
    key = first["key"]
    assert key["secret_key"] and key["access_key"].startswith("DO")
    assert "never shows again" in first["msg"] and "Vault" in first["msg"]
    assert "no_log: true" in json.dumps(first.get("warnings"))
    assert first["api_calls"] == ["POST /v2/spaces/keys 201"]
    assert key["secret_key"] not in json.dumps(first["diff"])

    mark = len(emulator.log)
    second = run_module("spaces_key", {"name": name, "grants": list(reversed(grants))})
    assert second["changed"] is False, second
    assert "secret_key" not in second["key"]
    assert emulator.writes(since=mark) == []
    assert len(keys_named(emulator, name)) == 1


def test_check_mode_creates_nothing(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    result = run_module("spaces_key", {"name": name, "grants": [{"permission": "fullaccess"}]}, check=True)
    assert result["changed"] is True and result["api_calls"] == ["POST /v2/spaces/keys"]
    assert emulator.writes() == [] and keys_named(emulator, name) == []


def test_mixing_fullaccess_and_bucket_grants_fails_before_sending(run_module, emulator):
    result = run_module("spaces_key", {"name": "mixed", "grants": [{"permission": "fullaccess"},
                                                                   {"bucket": "b", "permission": "read"}]})
    assert result.get("failed") and "cannot be mixed" in result["msg"]
    assert emulator.writes() == []


def test_emulator_rejects_mixed_grants_like_the_api(sandbox, emulator):
    import pydo

    client = pydo.Client(sandbox.token, endpoint=sandbox.api_url, connection_verify=sandbox.ca.cert_path)
    body = client.spaces_key.create(body={"name": "x", "grants": [{"bucket": "", "permission": "fullaccess"},
                                                                  {"bucket": "b", "permission": "read"}]})
    assert body["id"] == "bad_request" and "cannot mix" in body["message"]


def test_grants_updated_in_place_and_conversion_refused(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    created = run_module("spaces_key", {"name": name, "grants": [{"bucket": "a-bucket", "permission": "read"}]})
    access_key = created["key"]["access_key"]
    mark = len(emulator.log)
    updated = run_module("spaces_key", {"name": name, "grants": [{"bucket": "a-bucket", "permission": "readwrite"},
                                                                 {"bucket": "b-bucket", "permission": "read"}]})
    assert updated["changed"] is True, updated
    assert updated["key"]["access_key"] == access_key and "secret_key" not in updated["key"]
    assert [(w["method"], w["template"]) for w in emulator.writes(since=mark)] == [
        ("PUT", "/v2/spaces/keys/{access_key}")]
    stored = emulator.store["spaces_keys"][access_key]["grants"]
    assert sorted((g["bucket"], g["permission"]) for g in stored) == [("a-bucket", "readwrite"), ("b-bucket", "read")]
    assert updated["diff"]["before"]["grants"] == [{"bucket": "a-bucket", "permission": "read"}]

    mark = len(emulator.log)
    refused = run_module("spaces_key", {"name": name, "grants": [{"permission": "fullaccess"}]})
    assert refused.get("failed") and "rotate=true" in refused["msg"], refused
    assert emulator.writes(since=mark) == []

    renamed = run_module("spaces_key", {"name": name + "-x", "access_key": access_key})
    assert renamed["changed"] is True and renamed["key"]["name"] == name + "-x"


def test_rotate_returns_both_then_old_deleted(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    grants = [{"bucket": "n8n-storage", "permission": "readwrite"}]
    old = run_module("spaces_key", {"name": name, "grants": grants})["key"]
    rotated = run_module("spaces_key", {"name": name, "rotate": True})
    assert rotated["changed"] is True
    assert rotated["previous_key"]["access_key"] == old["access_key"]
    assert "secret_key" not in rotated["previous_key"]
    new = rotated["key"]
    assert new["access_key"] != old["access_key"] and new["secret_key"] and new["secret_key"] != old["secret_key"]
    assert new["grants"] == grants
    assert len(keys_named(emulator, name)) == 2
    # while both exist, the plain task manages the newest and changes nothing
    assert run_module("spaces_key", {"name": name, "grants": grants})["changed"] is False
    ambiguous = run_module("spaces_key", {"name": name, "state": "absent"})
    assert ambiguous.get("failed") and "access_key" in ambiguous["msg"]
    deleted = run_module("spaces_key", {"name": name, "access_key": old["access_key"], "state": "absent"})
    assert deleted["changed"] is True
    assert [k["access_key"] for k in keys_named(emulator, name)] == [new["access_key"]]
    assert run_module("spaces_key", {"name": name, "access_key": old["access_key"],
                                     "state": "absent"})["changed"] is False


def test_created_key_works_against_the_sandbox_s3(run_module, sandbox, emulator):
    """End to end: a key from the API used as S3 credentials (moto does not enforce the grant, see above)."""
    bucket = "key-" + uuid.uuid4().hex[:8]
    key = run_module("spaces_key", {"name": "n8n-e2e", "grants": [{"bucket": bucket, "permission": "readwrite"}]})["key"]
    creds = {"spaces_access_key_id": key["access_key"], "spaces_secret_access_key": key["secret_key"],
             "region": "ams3"}
    made = run_module("spaces_bucket", dict(creds, name=bucket))
    assert made["changed"] is True and not made.get("failed"), made
    put = run_module("spaces_object", dict(creds, bucket=bucket, mode="put", object="x.txt", content="x"))
    assert put["changed"] is True
    assert key["secret_key"] not in json.dumps({k: v for k, v in put.items() if k != "invocation"})


def test_secret_only_in_the_registered_result_with_vvv(playbook, emulator, tmp_path):
    name = "n8n-vvv-" + uuid.uuid4().hex[:6]
    secret_file = tmp_path / "secret.txt"
    text = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Create the key
      appplatform.n8n.spaces_key:
        name: {name}
        grants: [{{bucket: n8n-storage, permission: readwrite}}]
      no_log: true
      register: created

    - name: Keep the secret in a 0600 file
      ansible.builtin.copy:
        content: "{{{{ created.key.secret_key }}}}"
        dest: {dest}
        mode: "0600"
      no_log: true

    - name: The registered result has it
      ansible.builtin.assert:
        that:
          - created.key.secret_key | length > 20
          - created.key.access_key is match('DO')
        quiet: true

    - name: Update grants (no secret in this result)
      appplatform.n8n.spaces_key:
        name: {name}
        grants: [{{bucket: n8n-storage, permission: read}}]
      register: updated

    - name: Rotate
      appplatform.n8n.spaces_key:
        name: {name}
        rotate: true
      no_log: true
      register: rotated

    - name: Delete the old key
      appplatform.n8n.spaces_key:
        name: {name}
        access_key: "{{{{ rotated.previous_key.access_key }}}}"
        state: absent
""".format(name=name, dest=secret_file)
    proc = playbook(text, "-vvv", "--diff")
    out = proc.stdout + proc.stderr
    secret = secret_file.read_text()
    assert len(secret) > 20
    assert oct(os.stat(secret_file).st_mode & 0o777) == "0o600"
    [stored] = keys_named(emulator, name)
    rotated_secret = stored["secret_key"]
    assert [k for k in emulator.store["spaces_keys"].values() if k["secret_key"] == secret] == []  # old one deleted
    assert secret not in out
    assert rotated_secret not in out
    assert "the output has been hidden" in out
    assert "changed=5" in out
    # the output does show results (the update's, which has no secret), so the absence above means something
    assert '"permission": "read"' in out and "api_calls" in out


def test_500_after_create_replaces_the_key_whose_secret_was_lost(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    emulator.faults.set([{"method": "POST", "path": "^/v2/spaces/keys$", "after_write": True, "status": 500,
                          "times": 1}])
    result = run_module("spaces_key", {"name": name, "grants": [{"bucket": "b-one", "permission": "read"}]})
    assert not result.get("failed"), result
    [stored] = keys_named(emulator, name)
    assert result["key"]["access_key"] == stored["access_key"]
    assert result["key"]["secret_key"] == stored["secret_key"]  # a usable secret, not a key nobody can use
    assert [w["method"] for w in emulator.writes()] == ["POST", "DELETE", "POST"]


def test_a_503_on_the_replacement_create_is_retried_safely(run_module, emulator):
    name = "n8n-" + uuid.uuid4().hex[:8]
    emulator.faults.set([{"method": "POST", "path": "^/v2/spaces/keys$", "after_write": True, "status": 500,
                          "times": 1},
                         {"method": "POST", "path": "^/v2/spaces/keys$", "status": 503, "times": 2}])
    result = run_module("spaces_key", {"name": name, "grants": [{"bucket": "b-one", "permission": "read"}]})
    assert not result.get("failed"), result
    [stored] = keys_named(emulator, name)
    assert result["key"]["secret_key"] == stored["secret_key"]
