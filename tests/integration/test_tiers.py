# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tier playbooks against the sandbox: converge, re-run without writes, check mode, migration, secrets."""

import os
import re

import pytest
import yaml

pytestmark = pytest.mark.sandbox

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def recap(output):
    found = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert found, output[-3000:]
    return {"ok": int(found.group(1)), "changed": int(found.group(2)), "failed": int(found.group(4))}


@pytest.fixture
def deploy(sandbox, emulator, tmp_path):
    """Run a tier playbook for one app; returns (CompletedProcess, recap, emulator writes of that run)."""
    import subprocess

    from conftest import _env_for

    def run(tier, app, *extra, secrets=None, check_rc=True):
        env = _env_for(sandbox)
        env["ANSIBLE_NOCOLOR"] = "1"
        mark = len(emulator.log)
        argv = ["ansible-playbook", os.path.join(REPO, "playbooks", tier + ".yml"), "-e", "n8n_app_name=" + app,
                "-e", "n8n_deploy_secrets_file=" + str(secrets or tmp_path / (app + ".secrets.yml"))] + list(extra)
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)
        if check_rc and proc.returncode != 0:
            raise AssertionError("{0} failed:\n{1}\n{2}".format(tier, proc.stdout[-8000:], proc.stderr[-3000:]))
        return proc, recap(proc.stdout), [e for e in emulator.log[mark:] if e["write"]]

    return run


def apps(emulator, name):
    return [a for a in emulator.store.get("apps", {}).values() if a["spec"]["name"] == name]


def test_production_converges_and_the_second_run_writes_nothing(deploy, emulator, tmp_path):
    proc, first, writes = deploy("production", "tier-prod")
    assert first["failed"] == 0 and first["changed"] > 0 and writes
    (app,) = apps(emulator, "tier-prod")
    names = [c["name"] for c in app["spec"].get("services", []) + app["spec"].get("workers", [])]
    assert "n8n-main" in names and any(n.startswith("n8n-runner") for n in names)
    secrets_file = tmp_path / "tier-prod.secrets.yml"
    assert oct(os.stat(secrets_file).st_mode & 0o777) == "0o600"
    key = yaml.safe_load(secrets_file.read_text())["N8N_ENCRYPTION_KEY"]
    proc, second, writes = deploy("production", "tier-prod")
    assert second["changed"] == 0, proc.stdout[-6000:]
    assert writes == [], writes
    assert yaml.safe_load(secrets_file.read_text())["N8N_ENCRYPTION_KEY"] == key
    rules = [r for r in emulator.store["databases"].values() if r["name"].startswith("tier-prod")]
    assert rules


def test_check_mode_on_an_empty_account_writes_nothing(deploy, emulator):
    proc, result, writes = deploy("production", "tier-check", "--check")
    assert writes == [] and result["failed"] == 0
    assert apps(emulator, "tier-check") == []
    assert "skipped" in proc.stdout.lower()


def test_check_mode_against_a_deployed_app_reports_no_change(deploy, emulator):
    deploy("simple", "tier-chk2")
    proc, result, writes = deploy("simple", "tier-chk2", "--check")
    assert result["changed"] == 0 and writes == []
    # each documented step runs on its own (the facts it needs are found, not assumed)
    for tag in ("secrets", "spec", "infrastructure", "deploy", "lockdown", "report", "verify"):
        proc, result, writes = deploy("simple", "tier-chk2", "--tags", tag)
        assert result["failed"] == 0 and result["changed"] == 0 and writes == [], tag


def test_simple_to_queue_to_production_keeps_the_app_the_database_and_the_key(deploy, emulator, tmp_path):
    deploy("simple", "tier-mig")
    (app,) = apps(emulator, "tier-mig")
    app_id = app["id"]
    db_ids = {d["id"] for d in emulator.store["databases"].values() if d["engine"] == "pg"}
    key = yaml.safe_load((tmp_path / "tier-mig.secrets.yml").read_text())["N8N_ENCRYPTION_KEY"]
    deploy("queue", "tier-mig")
    deploy("production", "tier-mig")
    (app,) = apps(emulator, "tier-mig")
    assert app["id"] == app_id
    assert {d["id"] for d in emulator.store["databases"].values() if d["engine"] == "pg"} == db_ids
    assert yaml.safe_load((tmp_path / "tier-mig.secrets.yml").read_text())["N8N_ENCRYPTION_KEY"] == key
    deploy("queue", "tier-mig")  # and back down: Valkey is kept
    assert any(d["engine"] == "valkey" for d in emulator.store["databases"].values())


def test_a_lost_secrets_file_stops_the_run_before_any_write(deploy, emulator, tmp_path):
    deploy("simple", "tier-lost")
    proc, result, writes = deploy("simple", "tier-lost", secrets=tmp_path / "elsewhere.yml", check_rc=False)
    assert result["failed"] == 1 and writes == []
    assert "encryption" in proc.stdout.lower()
    # a link to nothing (an unmounted volume) and an empty file are lost files too: nothing is written there
    dangling = tmp_path / "dangling.yml"
    dangling.symlink_to(tmp_path / "gone" / "secrets.yml")
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    for path in (dangling, empty):
        proc, result, writes = deploy("simple", "tier-lost", secrets=path, check_rc=False)
        assert result["failed"] == 1 and writes == [] and "exists but its secrets file" in proc.stdout
    assert not (tmp_path / "gone").exists() and empty.read_text() == ""
    # a file without the key: not invented either, and the file is left as it is
    partial = tmp_path / "partial.yml"
    data = yaml.safe_load((tmp_path / "tier-lost.secrets.yml").read_text())
    partial.write_text(yaml.safe_dump({"N8N_RUNNERS_AUTH_TOKEN": data["N8N_RUNNERS_AUTH_TOKEN"]}))
    before = partial.read_text()
    proc, result, writes = deploy("simple", "tier-lost", secrets=partial, check_rc=False)
    assert result["failed"] == 1 and writes == [] and partial.read_text() == before
    assert "has no value for N8N_ENCRYPTION_KEY, and app tier-lost already runs with one" in proc.stdout


def test_changed_secrets_fail_before_any_write_unless_rotation_is_asked(deploy, emulator, tmp_path):
    deploy("simple", "tier-rot")
    path = tmp_path / "tier-rot.secrets.yml"
    data = yaml.safe_load(path.read_text())
    data["N8N_RUNNERS_AUTH_TOKEN"] = "f" * 64
    path.write_text(yaml.safe_dump(data))
    proc, result, writes = deploy("simple", "tier-rot", check_rc=False)
    assert result["failed"] == 1 and writes == []
    assert "N8N_RUNNERS_AUTH_TOKEN in {0} differs from what app tier-rot runs with".format(path) in proc.stdout
    # also when the run would first create or resize databases (a tier migration): nothing is written
    proc, result, writes = deploy("queue", "tier-rot", check_rc=False)
    assert result["failed"] == 1 and writes == [], writes
    # a rotation deploys the file's value once; left in place, the list changes nothing more
    rotate = ("-e", '{"n8n_deploy_rotate_secrets": ["N8N_RUNNERS_AUTH_TOKEN"]}')
    proc, result, writes = deploy("simple", "tier-rot", *rotate)
    assert result["changed"] > 0 and [w["method"] for w in writes] == ["PUT"]
    assert yaml.safe_load(path.read_text())["N8N_RUNNERS_AUTH_TOKEN"] == "f" * 64
    proc, result, writes = deploy("simple", "tier-rot", *rotate)
    assert result["changed"] == 0 and writes == []
    assert "there is nothing to rotate" in proc.stdout
    proc, result, _ = deploy("simple", "tier-rot", "-e", '{"n8n_deploy_rotate_secrets": ["SPACES_SECRET_ACCESS_KEY"]}',
                             check_rc=False)
    assert result["failed"] == 1 and "only N8N_ENCRYPTION_KEY and N8N_RUNNERS_AUTH_TOKEN can be rotated" in proc.stdout
    # rotation by deleting the line: a new value is generated only because it is listed (here as a string)
    data = yaml.safe_load(path.read_text())
    del data["N8N_RUNNERS_AUTH_TOKEN"]
    path.write_text(yaml.safe_dump(data))
    proc, result, writes = deploy("simple", "tier-rot", "-e", "n8n_deploy_rotate_secrets=N8N_RUNNERS_AUTH_TOKEN")
    token = yaml.safe_load(path.read_text())["N8N_RUNNERS_AUTH_TOKEN"]
    assert token != "f" * 64 and len(token) == 64 and [w["method"] for w in writes] == ["PUT"]


def test_with_a_vault_password_the_secrets_file_is_an_ansible_vault_file(deploy, emulator, tmp_path):
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = tmp_path / "vault-pass"
    password.write_text("tier-vault-password\n")
    path = tmp_path / "tier-vault.secrets.yml"
    deploy("simple", "tier-vault", "--vault-password-file", str(password))
    raw = path.read_text()
    assert raw.startswith("$ANSIBLE_VAULT;1.1;AES256") and oct(os.stat(path).st_mode & 0o777) == "0o600"
    secrets = yaml.safe_load(VaultLib([("default", VaultSecret(b"tier-vault-password"))]).decrypt(raw))
    assert len(secrets["N8N_ENCRYPTION_KEY"]) == 64
    proc, again, writes = deploy("simple", "tier-vault", "--vault-password-file", str(password))
    assert again["changed"] == 0 and writes == [] and path.read_text() == raw
    # without the password the run stops at the secrets, before any write, and says why
    proc, result, writes = deploy("simple", "tier-vault", check_rc=False)
    assert result["failed"] == 1 and writes == []
    assert "encrypted with Ansible Vault but no vault password is configured" in proc.stdout


def test_no_secret_reaches_the_output_with_vvv(deploy, emulator, sandbox, tmp_path):
    proc, result, _ = deploy("production", "tier-vvv", "-vvv")
    secrets = yaml.safe_load((tmp_path / "tier-vvv.secrets.yml").read_text())
    output = proc.stdout + proc.stderr
    for name, value in secrets.items():
        assert value not in output, name
    assert sandbox.token not in output
    assert sandbox.postgres.admin_password not in output


def test_scale_keeps_the_tier_the_pairing_the_key_and_resizes_the_database_in_place(deploy, emulator, tmp_path):
    deploy("production", "tier-scale")
    (app,) = apps(emulator, "tier-scale")
    (pg,) = [d for d in emulator.store["databases"].values() if d["name"] == "tier-scale-pg"]
    key = yaml.safe_load((tmp_path / "tier-scale.secrets.yml").read_text())["N8N_ENCRYPTION_KEY"]
    proc, result, writes = deploy("scale", "tier-scale", "-e", "n8n_spec_worker_count=3",
                                  "-e", "n8n_spec_db_size=db-s-2vcpu-4gb")
    (scaled,) = apps(emulator, "tier-scale")
    assert scaled["id"] == app["id"]
    runners = [c for c in scaled["spec"].get("workers", []) + scaled["spec"].get("services", [])
               if c["name"].startswith("n8n-runner")]
    assert len(runners) == 3
    (pg_after,) = [d for d in emulator.store["databases"].values() if d["name"] == "tier-scale-pg"]
    assert pg_after["id"] == pg["id"] and pg_after["size"] == "db-s-2vcpu-4gb"
    assert any(w["path"].endswith("/resize") for w in writes)
    assert not any(w["method"] == "POST" and w["path"] == "/v2/databases" for w in writes)
    assert yaml.safe_load((tmp_path / "tier-scale.secrets.yml").read_text())["N8N_ENCRYPTION_KEY"] == key


def test_scale_reads_the_tier_marker_so_a_queue_app_stays_queue(deploy, emulator):
    deploy("queue", "tier-scq", "-e", "n8n_region=ams3")
    # no region given: scale keeps the deployed one (ams3), not the playbooks' default
    proc, result, writes = deploy("scale", "tier-scq", "-e", "n8n_spec_worker_count=2")
    (app,) = apps(emulator, "tier-scq")
    assert {"key": "APPPLATFORM_N8N_TIER", "value": "queue", "scope": "BUILD_TIME", "type": "GENERAL"} \
        in app["spec"]["envs"]
    assert app["spec"]["region"] == "ams"
    assert sorted(c["name"] for c in app["spec"]["services"]) == ["n8n-main", "n8n-worker-1", "n8n-worker-2"]
    (pg,) = [d for d in emulator.store["databases"].values() if d["name"] == "tier-scq-pg"]
    assert pg["num_nodes"] == 1 and pg["region"] == "ams3"  # not migrated to production's HA cluster
    assert not any("/v2/spaces/keys" in w["path"] for w in writes)
    # a size change alone keeps the two pairs
    deploy("scale", "tier-scq", "-e", "n8n_spec_worker_instance_size=apps-s-1vcpu-2gb")
    (app,) = apps(emulator, "tier-scq")
    workers = [c for c in app["spec"]["services"] if c["name"].startswith("n8n-worker-")]
    assert len(workers) == 2 and {w["instance_size_slug"] for w in workers} == {"apps-s-1vcpu-2gb"}


def test_scale_refuses_workers_for_the_simple_tier(deploy, emulator):
    deploy("simple", "tier-scs")
    proc, result, writes = deploy("scale", "tier-scs", "-e", "n8n_spec_worker_count=3", check_rc=False)
    assert result["failed"] == 1 and writes == []
    assert "simple tier, which has no workers" in proc.stdout


def test_teardown_needs_confirmation_and_keeps_the_backups(deploy, emulator):
    deploy("production", "tier-bye")
    proc, result, writes = deploy("teardown", "tier-bye", check_rc=False)
    assert result["failed"] == 1 and writes == []
    proc, result, writes = deploy("teardown", "tier-bye", "-e", "n8n_teardown_confirm=tier-bye")
    assert apps(emulator, "tier-bye") == []
    assert not [d for d in emulator.store["databases"].values() if d["name"].startswith("tier-bye")]
    assert "kept (backups)" in proc.stdout
