# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""app / app_info / app_deployment / app_logs / app_alert_destinations against the sandbox's emulator."""

import copy
import json
import sys

import pytest

from tests.sandbox.emulator.resources.apps import deployment_hook

pytestmark = pytest.mark.sandbox

N8N_TAG = "1.123.4"
ENCRYPTION_KEY = "s3cr3t-Encryption-Key-7f1d2c9a0b"


def n8n_spec(name, key=ENCRYPTION_KEY, tag=N8N_TAG, **extra):
    spec = {
        "name": name,
        "region": "fra",
        "services": [{
            "name": "n8n",
            "image": {"registry_type": "GHCR", "registry": "ghcr.io", "repository": "n8n-io/n8n", "tag": tag},
            "http_port": 5678,
            "instance_size_slug": "apps-s-1vcpu-1gb",
            "health_check": {"http_path": "/healthz", "initial_delay_seconds": 60, "period_seconds": 10,
                             "timeout_seconds": 3, "failure_threshold": 3},
            "envs": [
                {"key": "N8N_ENCRYPTION_KEY", "value": key, "type": "SECRET", "scope": "RUN_TIME"},
                {"key": "DB_TYPE", "value": "postgresdb"},
                {"key": "DB_POSTGRESDB_HOST", "value": "${n8n-db.HOSTNAME}"},
                {"key": "DB_POSTGRESDB_PASSWORD", "value": "${n8n-db.PASSWORD}"},
                {"key": "DB_POSTGRESDB_SSL_CA", "value": "${n8n-db.CA_CERT}"},
                {"key": "N8N_EDITOR_BASE_URL", "value": "${APP_URL}"},
            ],
        }],
        "databases": [{"name": "n8n-db", "engine": "PG", "production": True, "cluster_name": "n8n-pg"}],
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DOMAIN_FAILED"}],
    }
    spec.update(extra)
    return spec


@pytest.fixture
def clusters(emulator):
    """Add stand-ins for managed clusters (only name and engine, what the apps resource checks); removed after
    the test so that the databases resource never sees them."""
    table = emulator.store.setdefault("databases", {})
    added = []

    def add(name, engine):
        key = "apps-test-" + name
        if not any(c.get("name") == name for c in table.values()):
            table[key] = {"id": key, "name": name, "engine": engine}
            added.append(key)

    yield add
    for key in added:
        table.pop(key, None)


@pytest.fixture
def pg_cluster(clusters):
    """A managed PostgreSQL cluster named n8n-pg."""
    clusters("n8n-pg", "pg")


@pytest.fixture
def hook(emulator):
    h = deployment_hook(emulator)
    yield h
    h.failing_tags = set()
    h.fail_phase = "DEPLOYING"


def writes(emulator, since=0):
    return ["{0} {1}".format(w["method"], w["template"]) for w in emulator.writes(since=since)]


def test_create_active_then_identical_rerun_changes_nothing(run_module, emulator, pg_cluster):
    spec = n8n_spec("n8n-idem")
    first = run_module("app", {"spec": spec})
    assert first["changed"] is True, first
    assert first["api_calls"] == ["POST /v2/apps 200"]
    app = first["app"]
    assert app["active_deployment"]["phase"] == "ACTIVE"
    assert first["deployment"]["id"] == app["active_deployment"]["id"]
    assert app["live_url"].startswith("https://n8n-idem-") and app["default_ingress"] == app["live_url"]
    assert app["components"] == {"services": ["n8n"], "databases": ["n8n-db"]}
    assert ENCRYPTION_KEY not in json.dumps(first)
    mark = len(emulator.log)
    second = run_module("app", {"spec": spec})
    assert second["changed"] is False, second["diff"]
    assert second["api_calls"] == []
    assert writes(emulator, mark) == []
    assert second["app"]["active_deployment"]["id"] == app["active_deployment"]["id"]


def deployments_of(emulator, app_id):
    return [d for d in emulator.store.get("app_deployments", {}).values() if d["app_id"] == app_id]


def test_only_a_secret_changed_one_update_one_deployment(run_module, emulator, pg_cluster):
    first = run_module("app", {"spec": n8n_spec("n8n-secret")})
    app_id = first["app"]["id"]
    old_active = first["app"]["active_deployment"]["id"]
    stored = emulator.store["apps"][app_id]["spec"]
    env = {e["key"]: e for e in stored["services"][0]["envs"]}
    assert env["N8N_ENCRYPTION_KEY"]["value"].startswith("EV[")
    fingerprint = {e["key"]: e for e in stored["envs"]}["APPPLATFORM_N8N_SECRETS_FINGERPRINT"]
    assert fingerprint["value"].startswith("v2:scrypt:") and fingerprint["type"] == "GENERAL"
    assert ENCRYPTION_KEY not in fingerprint["value"]

    before = len(deployments_of(emulator, app_id))
    mark = len(emulator.log)
    new_key = "another-Encryption-Key-0c4e19b2aa"
    changed = run_module("app", {"spec": n8n_spec("n8n-secret", key=new_key)})
    assert changed["changed"] is True
    assert writes(emulator, mark) == ["PUT /v2/apps/{id}"]
    assert len(deployments_of(emulator, app_id)) == before + 1
    assert changed["deployment"]["id"] != old_active
    assert changed["app"]["active_deployment"]["id"] == changed["deployment"]["id"]
    text = json.dumps(changed)
    assert new_key not in text and ENCRYPTION_KEY not in text
    # the diff names what changed (the fingerprint), never the value
    after_envs = {e["key"]: e["value"] for e in changed["diff"]["after"]["envs"]}
    before_envs = {e["key"]: e["value"] for e in changed["diff"]["before"]["envs"]}
    assert after_envs["APPPLATFORM_N8N_SECRETS_FINGERPRINT"] != before_envs["APPPLATFORM_N8N_SECRETS_FINGERPRINT"]
    assert changed["diff"]["after"]["services"][0]["envs"][-1]["value"] == "**REDACTED**" or \
        "**REDACTED**" in json.dumps(changed["diff"]["after"]["services"])

    mark = len(emulator.log)
    again = run_module("app", {"spec": n8n_spec("n8n-secret", key=new_key)})
    assert again["changed"] is False and writes(emulator, mark) == []

    # Sending back the EV[...] ciphertext keeps the secret: no change.
    ev = {e["key"]: e for e in emulator.store["apps"][app_id]["spec"]["services"][0]["envs"]}["N8N_ENCRYPTION_KEY"]
    kept = run_module("app", {"spec": n8n_spec("n8n-secret", key=ev["value"])})
    assert kept["changed"] is False, kept["diff"]


def test_server_added_defaults_never_cause_a_change(run_module, emulator):
    spec = {"name": "n8n-defaults",
            "services": [{"name": "web", "image": {"registry_type": "DOCKER_HUB", "registry": "n8nio",
                                                   "repository": "n8n"},
                          "envs": [{"key": "GENERIC_TIMEZONE", "value": "Europe/Berlin"}],
                          "routes": [{"path": "/"}]}],
            "workers": [{"name": "worker", "image": {"registry_type": "GHCR", "registry": "ghcr.io",
                                                     "repository": "n8n-io/n8n", "tag": N8N_TAG},
                         "run_command": "n8n worker"}],
            "disable_edge_cache": False}
    first = run_module("app", {"spec": spec})
    assert first["changed"] is True
    stored = first["app"]["spec"]
    web = stored["services"][0]
    assert (web["instance_count"], web["instance_size_slug"], web["http_port"]) == (1, "apps-s-1vcpu-0.5gb", 8080)
    assert web["image"]["tag"] == "latest" and "routes" not in web
    assert web["envs"][0]["scope"] == "RUN_AND_BUILD_TIME" and web["envs"][0]["type"] == "GENERAL"
    assert stored["region"] == "nyc"
    assert stored["ingress"]["rules"] == [{"match": {"path": {"prefix": "/"}}, "component": {"name": "web"}}]
    assert stored["workers"][0]["instance_count"] == 1
    mark = len(emulator.log)
    second = run_module("app", {"spec": spec})
    assert second["changed"] is False, second["diff"]
    assert writes(emulator, mark) == []
    # an app without any secret gets no fingerprint env
    assert "envs" not in stored
    # a real change is still seen
    changed = run_module("app", {"spec": dict(copy.deepcopy(spec), region="fra")}, check=True)
    assert changed["changed"] is True and changed["diff"]["after"]["region"] == "fra"


def test_check_mode_zero_writes_with_diff(run_module, emulator, pg_cluster):
    mark = len(emulator.log)
    created = run_module("app", {"spec": n8n_spec("n8n-check")}, check=True)
    assert created["changed"] is True
    assert created["api_calls"] == ["POST /v2/apps"]
    assert writes(emulator, mark) == []
    assert [e["template"] for e in emulator.log[mark:] if e["method"] == "POST"] == ["/v2/apps/propose"]
    assert created["diff"]["after"]["services"][0]["image"]["tag"] == N8N_TAG
    assert ENCRYPTION_KEY not in json.dumps(created)
    assert not any(a["spec"]["name"] == "n8n-check" for a in emulator.store.get("apps", {}).values())

    run_module("app", {"spec": n8n_spec("n8n-check")})
    mark = len(emulator.log)
    checked = run_module("app", {"spec": n8n_spec("n8n-check", tag="1.124.0")}, check=True)
    assert checked["changed"] is True and writes(emulator, mark) == []
    assert checked["api_calls"][0].startswith("PUT /v2/apps/")
    assert checked["diff"]["before"]["services"][0]["image"]["tag"] == N8N_TAG
    assert checked["diff"]["after"]["services"][0]["image"]["tag"] == "1.124.0"


@pytest.mark.parametrize("check", [True, False])
def test_invalid_spec_fails_with_the_api_message_and_changes_nothing(run_module, emulator, pg_cluster, check):
    bad = n8n_spec("n8n-invalid", ingress={"rules": [{"match": {"path": {"prefix": "/"}},
                                                      "component": {"name": "n8n-web"}}]})
    mark = len(emulator.log)
    result = run_module("app", {"spec": bad}, check=check)
    assert result.get("failed") is True
    assert "unknown component 'n8n-web'" in result["msg"] and "HTTP 400" in result["msg"]
    assert writes(emulator, mark) == []
    no_cluster = n8n_spec("n8n-invalid", databases=[{"name": "n8n-db", "engine": "PG", "production": True,
                                                     "cluster_name": "missing-pg"}])
    result = run_module("app", {"spec": no_cluster}, check=check)
    assert result.get("failed") is True and "database cluster 'missing-pg' not found" in result["msg"]
    duplicate = n8n_spec("n8n-invalid", workers=[{"name": "n8n", "image": {"registry_type": "GHCR",
                                                                          "registry": "ghcr.io",
                                                                          "repository": "n8n-io/n8n"}}])
    result = run_module("app", {"spec": duplicate}, check=check)
    assert result.get("failed") is True and "duplicate component name 'n8n'" in result["msg"]
    assert writes(emulator, mark) == []
    assert ENCRYPTION_KEY not in json.dumps(result)


def test_failed_deployment_names_the_phase_and_shows_log_lines(run_module, emulator, pg_cluster, hook):
    good = run_module("app", {"spec": n8n_spec("n8n-fail")})
    hook.failing_tags = {"2.0.0-broken"}
    failed = run_module("app", {"spec": n8n_spec("n8n-fail", tag="2.0.0-broken")})
    assert failed.get("failed") is True
    assert "failed in phase DEPLOYING" in failed["msg"] and "(component n8n)" in failed["msg"]
    assert failed["failed_component"] == "n8n" and failed["failed_phase"] == "DEPLOYING"
    assert any("health check failed" in line for line in failed["log_lines"])
    assert any("process exited with code 1" in line for line in failed["log_lines"])
    assert "process exited with code 1" in failed["msg"]
    assert ENCRYPTION_KEY not in json.dumps(failed)
    info = run_module("app_info", {"name": "n8n-fail", "deployments": 5})["apps"][0]
    assert info["active_deployment"]["id"] == good["app"]["active_deployment"]["id"]
    assert [d["phase"] for d in info["deployments"]][:2] == ["ERROR", "ACTIVE"]

    hook.fail_phase = "BUILDING"
    hook.failing_tags = {"2.0.1-missing"}
    failed = run_module("app", {"spec": n8n_spec("n8n-fail", tag="2.0.1-missing")})
    assert "failed in phase BUILDING" in failed["msg"]
    assert any("manifest" in line for line in failed["log_lines"])


def test_rollback_restores_the_previous_deployment(run_module, emulator, pg_cluster):
    v1 = run_module("app", {"spec": n8n_spec("n8n-rollback")})
    v1_dep = v1["app"]["active_deployment"]["id"]
    v2 = run_module("app", {"spec": n8n_spec("n8n-rollback", tag="1.124.0")})
    assert v2["app"]["active_deployment"]["id"] != v1_dep
    mark = len(emulator.log)
    checked = run_module("app_deployment", {"app": "n8n-rollback", "state": "rolled_back"}, check=True)
    assert checked["changed"] is True and writes(emulator, mark) == []
    assert checked["rollback"]["valid"] is True and checked["rollback"]["deployment_id"] == v1_dep
    rolled = run_module("app_deployment", {"app": "n8n-rollback", "state": "rolled_back"})
    assert rolled["changed"] is True, rolled
    assert rolled["deployment"]["cloned_from"] == v1_dep and rolled["deployment"]["phase"] == "ACTIVE"
    assert writes(emulator, mark) == ["POST /v2/apps/{app_id}/rollback", "POST /v2/apps/{app_id}/rollback/commit"]
    assert [e["template"] for e in emulator.log[mark:] if e["template"].endswith("validate")]
    app = run_module("app_info", {"name": "n8n-rollback"})["apps"][0]
    assert app["active_deployment"]["id"] == rolled["deployment"]["id"]
    assert app["spec"]["services"][0]["image"]["tag"] == N8N_TAG
    assert "pinned_deployment" not in emulator.store["apps"][app["id"]] or \
        not emulator.store["apps"][app["id"]].get("pinned_deployment_id")
    again = run_module("app_deployment", {"app": "n8n-rollback", "state": "rolled_back"})
    assert again["changed"] is False
    # the app module now sees the rolled-back spec: applying v1 again is no change
    assert run_module("app", {"spec": n8n_spec("n8n-rollback")})["changed"] is False


def test_rollback_refused_by_the_api_changes_nothing(run_module, emulator, pg_cluster, hook):
    first = run_module("app", {"spec": n8n_spec("n8n-norollback")})
    hook.failing_tags = {"9.9.9-bad"}
    run_module("app", {"spec": n8n_spec("n8n-norollback", tag="9.9.9-bad")})
    failed_dep = [d for d in deployments_of(emulator, first["app"]["id"]) if d["status"]["phase"] == "ERROR"][0]
    mark = len(emulator.log)
    result = run_module("app_deployment", {"app": "n8n-norollback", "state": "rolled_back",
                                           "deployment_id": failed_dep["id"]})
    assert result.get("failed") is True and "incompatible_result" in result["msg"]
    assert writes(emulator, mark) == []


def test_deploy_and_cancel(run_module, emulator, pg_cluster):
    run_module("app", {"spec": n8n_spec("n8n-deploy")})
    deployed = run_module("app_deployment", {"app": "n8n-deploy", "force_build": True})
    assert deployed["changed"] is True and deployed["deployment"]["phase"] == "ACTIVE"
    assert deployed["deployment"]["polls"] >= 1
    saved = emulator.durations["deployment_phase"]
    emulator.durations["deployment_phase"] = 20
    try:
        started = run_module("app_deployment", {"app": "n8n-deploy", "wait": False})
        assert started["deployment"]["phase"] == "PENDING_BUILD"
        canceled = run_module("app_deployment", {"app": "n8n-deploy", "state": "canceled"})
    finally:
        emulator.durations["deployment_phase"] = saved
    assert canceled["changed"] is True and canceled["deployment"]["phase"] == "CANCELED"
    again = run_module("app_deployment", {"app": "n8n-deploy", "state": "canceled",
                                          "deployment_id": started["deployment"]["id"]})
    assert again["changed"] is False


def test_info_health_and_logs(run_module, emulator, pg_cluster):
    run_module("app", {"spec": n8n_spec("n8n-info")})
    info = run_module("app_info", {"name": "n8n-info"})
    assert info["changed"] is False
    app = info["apps"][0]
    assert app["health"] == [{"name": "n8n", "state": "HEALTHY", "replicas_desired": 1, "replicas_ready": 1,
                              "cpu_usage_percent": 3.0, "memory_usage_percent": 21.0}]
    assert app["live_url"] and app["components"]["services"] == ["n8n"]
    every = run_module("app_info", {})
    assert "n8n-info" in [a["name"] for a in every["apps"]]
    logs = run_module("app_logs", {"app": "n8n-info", "component": "n8n", "type": "RUN"})
    assert any("listening on port 5678" in line for line in logs["lines"]), logs
    build = run_module("app_logs", {"app": "n8n-info", "type": "BUILD", "pattern": "pulling image", "lines": 1})
    assert build["matched"] == 1 and "ghcr.io/n8n-io/n8n:" + N8N_TAG in build["lines"][0]
    check = run_module("app_logs", {"app": "n8n-info", "pattern": "(?i)error", "fail_on_match": True})
    assert check.get("failed") is not True and check["matched"] == 0


def test_alert_destinations(run_module, emulator, pg_cluster):
    run_module("app", {"spec": n8n_spec("n8n-alerts")})
    webhook = "https://hooks.slack.com/services/T000/B000/sandboxsecretwebhook"
    args = {"app": "n8n-alerts", "rules": ["DEPLOYMENT_FAILED"], "emails": ["oncall@example.com"],
            "slack_webhooks": [{"url": webhook, "channel": "#n8n"}]}
    mark = len(emulator.log)
    first = run_module("app_alert_destinations", args)
    assert first["changed"] is True and len(writes(emulator, mark)) == 1
    assert first["alerts"][0]["emails"] == ["oncall@example.com"]
    assert webhook not in json.dumps(first)
    mark = len(emulator.log)
    second = run_module("app_alert_destinations", args)
    assert second["changed"] is False and writes(emulator, mark) == []
    missing = run_module("app_alert_destinations", dict(args, rules=["CPU_UTILIZATION"]))
    assert missing.get("failed") is True and "CPU_UTILIZATION" in missing["msg"]


def test_absent(run_module, emulator, pg_cluster):
    run_module("app", {"spec": n8n_spec("n8n-gone")})
    gone = run_module("app", {"spec": {"name": "n8n-gone"}, "state": "absent"})
    assert gone["changed"] is True and gone["api_calls"][0].startswith("DELETE /v2/apps/")
    assert run_module("app", {"spec": {"name": "n8n-gone"}, "state": "absent"})["changed"] is False


def test_secret_is_in_no_output_with_vvv(playbook, emulator, pg_cluster):
    secret = "pb-Secret-Value-91f0e2d7c3b4a5"
    text = """
- hosts: localhost
  gather_facts: false
  vars:
    n8n_key: "{key}"
  tasks:
    - name: deploy
      appplatform.n8n.app:
        spec: {spec}
      diff: true
    - name: change only the secret
      appplatform.n8n.app:
        spec: {spec2}
      diff: true
      register: second
    - name: show it
      ansible.builtin.debug:
        var: second
""".format(key=secret, spec=json.dumps(n8n_spec("n8n-vvv", key="{{ n8n_key }}")),
           spec2=json.dumps(n8n_spec("n8n-vvv", key="{{ n8n_key }}-2")))
    proc = playbook(text, "-vvv", "--diff", "-e", "ansible_python_interpreter=" + sys.executable)
    assert "changed=2" in proc.stdout
    assert secret not in proc.stdout and secret not in proc.stderr
    # the output does contain the module arguments and the diff, with the values masked
    assert "N8N_ENCRYPTION_KEY" in proc.stdout and "APPPLATFORM_N8N_SECRETS_FINGERPRINT" in proc.stdout
    assert "********" in proc.stdout or "**REDACTED**" in proc.stdout


@pytest.mark.parametrize("tier", ["simple", "queue", "production"])
def test_rendered_tier_specs_deploy_and_are_idempotent(run_module, emulator, clusters, tier):
    from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec

    spec = _n8n_spec.render_app_spec(tier, {"app_name": "n8n-" + tier, "encryption_key": ENCRYPTION_KEY,
                                            "runners_auth_token": "runners-Token-5d0c7e3b9a1f2468"})
    for db in spec.get("databases") or []:
        clusters(db["cluster_name"], {"PG": "pg", "VALKEY": "valkey"}[db["engine"]])
    first = run_module("app", {"spec": spec})
    assert first["changed"] is True and first["app"]["active_deployment"]["phase"] == "ACTIVE", first.get("msg")
    assert ENCRYPTION_KEY not in json.dumps(first)
    mark = len(emulator.log)
    second = run_module("app", {"spec": spec})
    assert second["changed"] is False, second["diff"]
    assert writes(emulator, mark) == []


def test_secrets_changed_is_reported_in_check_mode_and_validate_can_be_skipped(run_module, emulator, pg_cluster):
    first = run_module("app", {"spec": n8n_spec("n8n-rotate")})
    assert first["secrets_changed"] == []
    same = run_module("app", {"spec": n8n_spec("n8n-rotate")}, check=True)
    assert same["secrets_changed"] == [] and same["changed"] is False
    other = run_module("app", {"spec": n8n_spec("n8n-rotate", key="rotated-Key-8b1e0f7a93c2d4")}, check=True)
    assert other["secrets_changed"] == ["N8N_ENCRYPTION_KEY"] and other["changed"] is True
    tag = run_module("app", {"spec": n8n_spec("n8n-rotate", tag="1.124.0")}, check=True)
    assert tag["secrets_changed"] == [] and tag["changed"] is True
    # without the API's validation the comparison relies on the known defaults: still no change
    mark = len(emulator.log)
    unvalidated = run_module("app", {"spec": n8n_spec("n8n-rotate"), "validate": False})
    assert unvalidated["changed"] is False, unvalidated["diff"]
    assert not [e for e in emulator.log[mark:] if e["template"] == "/v2/apps/propose"]


def test_protect_secrets_refuses_a_changed_secret_before_any_write(run_module, emulator, pg_cluster):
    run_module("app", {"spec": n8n_spec("n8n-protect")})
    mark = len(emulator.log)
    rotated = n8n_spec("n8n-protect", key="rotated-Key-3f9a2c7d1e5b80")
    refused = run_module("app", {"spec": rotated, "protect_secrets": True})
    assert refused["failed"] and refused["secrets_refused"] == ["N8N_ENCRYPTION_KEY"]
    assert "N8N_ENCRYPTION_KEY differs from what app n8n-protect runs with" in refused["msg"]
    assert "rotated-Key-3f9a2c7d1e5b80" not in json.dumps(refused)
    assert writes(emulator, mark) == []
    # other changes go through; a listed secret may change
    assert run_module("app", {"spec": n8n_spec("n8n-protect", tag="1.124.0"), "protect_secrets": True})["changed"]
    rotated = n8n_spec("n8n-protect", key="rotated-Key-3f9a2c7d1e5b80", tag="1.124.0")
    allowed = run_module("app", {"spec": rotated, "protect_secrets": True, "rotate_secrets": ["N8N_ENCRYPTION_KEY"]})
    assert allowed["changed"] is True and allowed["secrets_changed"] == ["N8N_ENCRYPTION_KEY"]
