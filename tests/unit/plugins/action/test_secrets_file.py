# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""secrets_file: generated once, kept, 0600, rotated only when asked; an Ansible Vault file when a vault
password is configured. Run through ansible-playbook, as the roles use it."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
import yaml

from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _secrets_store as store
from ansible_collections.appplatform.n8n.tests.unit.playbook_helpers import needs_ansible_playbook, run_playbook

NAMES = ["N8N_ENCRYPTION_KEY", "N8N_RUNNERS_AUTH_TOKEN"]
PASSWORD = "vault-password-for-tests"


def secrets_task(path, check=False, **args):
    """A play that runs secrets_file once and dumps the registered result to <path>.result.json."""
    args = dict({"path": str(path), "names": NAMES}, **args)
    task = {"appplatform.n8n.secrets_file": args, "register": "out"}
    if check:
        task["check_mode"] = True
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [
        dict(task, diff=True),
        {"ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(path) + ".result.json"},
         "check_mode": False, "diff": False},
    ]}]


def run(tmp_path, path, *cli, check=False, **args):
    """(returncode, output, registered result or None)."""
    returncode, output = run_playbook(tmp_path, secrets_task(path, check=check, **args), *cli)
    result_file = str(path) + ".result.json"
    result = None
    if os.path.exists(result_file):
        with open(result_file) as handle:
            result = json.load(handle)
        os.unlink(result_file)
    return returncode, output, result


@pytest.fixture
def vault_args(tmp_path):
    password_file = tmp_path / "vault-pass"
    password_file.write_text(PASSWORD + "\n")
    return ["--vault-password-file", str(password_file)]


def decrypt(path):
    vault = VaultLib([("default", VaultSecret(PASSWORD.encode()))])
    return yaml.safe_load(vault.decrypt(path.read_bytes()))


# --------------------------------------------------------------------------- plain file (no vault password)

@needs_ansible_playbook
def test_generated_once_with_mode_0600_kept_on_rerun_and_never_printed(tmp_path):
    target = tmp_path / "keys" / "app.secrets.yml"
    rc, output, first = run(tmp_path, target, "-vvv")
    assert rc == 0, output
    assert first["changed"] is True and first["existed"] is False and first["vault"] is False
    key = first["secrets"]["N8N_ENCRYPTION_KEY"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key != first["secrets"]["N8N_RUNNERS_AUTH_TOKEN"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700
    assert yaml.safe_load(target.read_text())["N8N_ENCRYPTION_KEY"] == key
    # the task has no no_log, yet -vvv shows neither value (register still got them, above)
    assert key not in output and first["secrets"]["N8N_RUNNERS_AUTH_TOKEN"] not in output
    assert "censored" in output
    rc, output, second = run(tmp_path, target)
    assert rc == 0 and second["changed"] is False and second["secrets"]["N8N_ENCRYPTION_KEY"] == key
    assert key not in json.dumps(second["diff"])


@needs_ansible_playbook
def test_check_mode_writes_nothing(tmp_path):
    target = tmp_path / "s.yml"
    rc, output, result = run(tmp_path, target, check=True)
    assert rc == 0, output
    assert result["changed"] is True and not target.exists()
    assert result["secrets"]["N8N_ENCRYPTION_KEY"] == store.PLACEHOLDER


@needs_ansible_playbook
def test_rotation_only_when_asked_and_other_values_kept(tmp_path):
    target = tmp_path / "s.yml"
    first = run(tmp_path, target, names=["A", "B"])[2]["secrets"]
    rotated = run(tmp_path, target, names=["A", "B"], rotate=["B"])[2]
    assert rotated["changed"] is True and rotated["generated"] == ["B"]
    assert rotated["secrets"]["A"] == first["A"] and rotated["secrets"]["B"] != first["B"]
    assert yaml.safe_load(target.read_text())["B"] == rotated["secrets"]["B"]


@needs_ansible_playbook
def test_bad_input_fails_clearly_before_writing(tmp_path):
    target = tmp_path / "s.yml"
    rc, output, _ = run(tmp_path, target, names=["A"], rotate=["C"])
    assert rc != 0 and "rotate lists names not in names: C" in output
    rc, output, _ = run(tmp_path, target, nbytes=8)
    assert rc != 0 and "nbytes must be at least 16" in output
    assert not target.exists()


@needs_ansible_playbook
def test_given_values_are_stored_once_and_replaced_only_on_rotation(tmp_path):
    target = tmp_path / "s.yml"
    rc, output, first = run(tmp_path, target, names=["K"], values={"K": "given-value-1"})
    assert first["changed"] and "given-value-1" not in output
    assert yaml.safe_load(target.read_text())["K"] == "given-value-1"
    kept = run(tmp_path, target, names=["K"], values={"K": "given-value-2"})[2]
    assert kept["changed"] is False and yaml.safe_load(target.read_text())["K"] == "given-value-1"
    run(tmp_path, target, names=["K"], values={"K": "given-value-2"}, rotate=["K"])
    assert yaml.safe_load(target.read_text())["K"] == "given-value-2"


@needs_ansible_playbook
def test_a_file_readable_by_others_is_tightened(tmp_path):
    target = tmp_path / "s.yml"
    run(tmp_path, target)
    os.chmod(target, 0o644)
    rc, output, result = run(tmp_path, target)
    assert rc == 0 and result["changed"] is True and result["generated"] == []
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


# --------------------------------------------------------------------------- Ansible Vault

@needs_ansible_playbook
def test_with_a_vault_password_the_file_is_a_vault_file_kept_on_rerun(tmp_path, vault_args):
    target = tmp_path / "app.secrets.yml"
    rc, output, first = run(tmp_path, target, *vault_args)
    assert rc == 0, output
    assert first["vault"] is True
    raw = target.read_text()
    assert raw.startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    assert first["secrets"]["N8N_ENCRYPTION_KEY"] not in raw
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert decrypt(target) == first["secrets"]
    rc, output, second = run(tmp_path, target, *vault_args)
    assert rc == 0 and second["changed"] is False and second["secrets"] == first["secrets"]
    assert target.read_text() == raw  # not even re-encrypted


@needs_ansible_playbook
def test_a_vault_file_without_the_password_fails_clearly_and_is_left_alone(tmp_path, vault_args):
    target = tmp_path / "app.secrets.yml"
    run(tmp_path, target, *vault_args)
    raw = target.read_text()
    rc, output, _ = run(tmp_path, target)
    assert rc != 0
    assert "is encrypted with Ansible Vault but no vault password is configured" in output
    assert target.read_text() == raw


@needs_ansible_playbook
def test_a_wrong_vault_password_fails_clearly(tmp_path, vault_args):
    target = tmp_path / "app.secrets.yml"
    run(tmp_path, target, *vault_args)
    wrong = tmp_path / "wrong-pass"
    wrong.write_text("not-the-password\n")
    rc, output, _ = run(tmp_path, target, "--vault-password-file", str(wrong))
    assert rc != 0 and "cannot decrypt" in output


@needs_ansible_playbook
def test_a_plain_file_is_encrypted_in_place_once_a_vault_password_is_configured(tmp_path, vault_args):
    target = tmp_path / "app.secrets.yml"
    plain = run(tmp_path, target)[2]["secrets"]
    rc, output, check = run(tmp_path, target, *vault_args, check=True)
    assert check["changed"] is True and check["generated"] == [] and not target.read_text().startswith("$ANSIBLE")
    rc, output, result = run(tmp_path, target, *vault_args)
    assert rc == 0 and result["changed"] is True and result["generated"] == [] and result["vault"] is True
    assert result["diff"]["before"]["vault"] is False and result["diff"]["after"]["vault"] is True
    assert decrypt(target) == plain  # same values, now encrypted


@needs_ansible_playbook
def test_vault_always_without_a_password_fails_before_writing(tmp_path):
    target = tmp_path / "app.secrets.yml"
    rc, output, _ = run(tmp_path, target, vault="always")
    assert rc != 0 and "vault=always but no vault password is configured" in output
    assert not target.exists()


@needs_ansible_playbook
def test_vault_never_writes_plain_yaml_even_with_a_password(tmp_path, vault_args):
    target = tmp_path / "app.secrets.yml"
    rc, output, result = run(tmp_path, target, *vault_args, vault="never")
    assert rc == 0 and result["vault"] is False
    assert yaml.safe_load(target.read_text()) == result["secrets"]


@needs_ansible_playbook
def test_vault_id_label_chooses_the_secret(tmp_path):
    (tmp_path / "ops-pass").write_text(PASSWORD + "\n")
    (tmp_path / "dev-pass").write_text("dev-password\n")
    target = tmp_path / "app.secrets.yml"
    cli = ["--vault-id", "dev@" + str(tmp_path / "dev-pass"), "--vault-id", "ops@" + str(tmp_path / "ops-pass")]
    rc, output, result = run(tmp_path, target, *cli, vault_id="ops")
    assert rc == 0, output
    assert target.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;ops\n")
    assert decrypt(target) == result["secrets"]
    rc, output, _ = run(tmp_path, tmp_path / "other.yml", *cli, vault_id="nope")
    assert rc != 0 and "vault id 'nope' is not among the configured vault ids" in output
    assert not (tmp_path / "other.yml").exists()


# --------------------------------------------------------------------------- the store, directly

def test_store_round_trip_and_refusals(tmp_path):
    secrets = [("default", VaultSecret(PASSWORD.encode()))]
    path = str(tmp_path / "s.yml")
    data, generated = store.merge(None, ["A"], {}, [], 32, check_mode=False)
    store.write(path, store.render(data, secrets))
    assert store.read(path, secrets) == (data, secrets[0])
    with pytest.raises(store.SecretsFileError, match="no vault password"):
        store.read(path, [])
    store.write(path, b"- a list\n")
    with pytest.raises(store.SecretsFileError, match="not a YAML mapping"):
        store.read(path, [])
    assert store.read(str(tmp_path / "missing.yml"), []) == (None, None)
    store.write(path, b"A: false\nB: 1234\n")
    with pytest.raises(store.SecretsFileError, match="the value of A is a YAML bool, not a string; quote it"):
        store.read(path, [])


def test_store_writes_through_a_symlink_to_its_target(tmp_path):
    secrets = [("default", VaultSecret(PASSWORD.encode()))]
    target = tmp_path / "synced" / "app.secrets.yml"
    target.parent.mkdir()
    store.write(str(target), store.render({"A": "plain-value"}))
    link = tmp_path / "app.secrets.yml"
    link.symlink_to(target)
    store.write(str(link), store.render({"A": "plain-value"}, secrets))
    assert link.is_symlink()
    assert target.read_text().startswith("$ANSIBLE_VAULT")  # no plaintext copy left behind
    assert store.read(str(link), secrets) == ({"A": "plain-value"}, secrets[0])
    assert [p.name for p in target.parent.iterdir()] == ["app.secrets.yml"]


def test_store_explains_inline_vault_values_and_unknown_vault_ids(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text("A: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n")
    with pytest.raises(store.SecretsFileError, match="inline !vault values; encrypt the whole file"):
        store.read(str(path), [])
    secrets = [("ops", VaultSecret(PASSWORD.encode()))]
    with pytest.raises(store.SecretsFileError, match=r"vault id 'zzz' is not among the configured vault ids \(ops\)"):
        store.check_vault_id(secrets, "zzz")


def test_store_rewrites_a_vault_file_with_the_vault_id_it_was_encrypted_with(tmp_path):
    dev, prod = ("dev", VaultSecret(b"dev-password")), ("prod", VaultSecret(PASSWORD.encode()))
    path = str(tmp_path / "s.yml")
    store.write(path, store.render({"A": "x"}, [prod], "prod"))
    data, used = store.read(path, [dev, prod])
    assert used[0] == "prod"
    store.write(path, store.render(dict(data, B="y"), [dev, prod], None, used))
    assert open(path).read().startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")
    assert store.read(path, [prod])[0] == {"A": "x", "B": "y"}  # the prod password alone still opens it


def test_store_generates_only_the_missing_names_it_is_allowed_to():
    with pytest.raises(store.MissingSecrets) as excinfo:
        store.merge({"A": "kept"}, ["A", "B", "C"], {}, [], 32, check_mode=False, generate_missing=["C"])
    assert excinfo.value.names == ["B"]
    data, generated = store.merge({"A": "kept"}, ["A", "B"], {}, [], 32, check_mode=False, generate_missing=["B"])
    assert data["A"] == "kept" and generated == ["B"]
    # every name may be generated by default, and a given value is not a generated one
    assert store.merge({}, ["A"], {"A": "given"}, [], 32, False, generate_missing=[])[0] == {"A": "given"}
