# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simple tier's rendered spec, deployed through the app module, boots real n8n: readiness through
the public route, PostgreSQL over verified TLS, the operator's API key, ingress rules, real logs."""

from __future__ import annotations

import json
import os
import secrets
import stat
import urllib.request

import pytest

from tests.sandbox.certs import CA
from tests.sandbox.n8n import helpers, runtime
from tests.sandbox.n8n.conftest import instance, run_of

pytestmark = pytest.mark.real_n8n


def test_ready_through_the_public_route(simple_app, ca_context):
    app = simple_app
    assert app.result["app"]["live_url"].startswith("https://127.0.0.1:")
    assert app.result["deployment"]["phase"] == "ACTIVE"
    status, _, _ = helpers.https_get(app.url + "/healthz/readiness", ca_context)
    assert status == 200
    # really n8n, really the rendered settings: the editor URL is ${APP_URL}
    main = instance(app.run, "n8n-main")
    assert "Editor is now accessible via:\n" + app.url in main.process.log_text()


def test_postgres_tls_with_verification(simple_app, sandbox):
    main = instance(simple_app.run, "n8n-main")
    assert main.env["DB_POSTGRESDB_SSL_CA"] == sandbox.ca.pem  # ${db.CA_CERT} resolved to the sandbox CA
    assert main.env["DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED"] == "true"
    database = main.env["DB_POSTGRESDB_DATABASE"]
    out = sandbox.postgres.psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                "WHERE a.datname = '{0}' AND s.ssl".format(database))
    assert int(out.strip()) >= 1


def test_metrics_never_reach_n8n_through_the_public_route(simple_app, ca_context):
    status, headers, _ = helpers.https_get(simple_app.url + "/metrics", ca_context)
    assert status == 302 and headers["Location"] == simple_app.url + "/"
    # n8n itself would answer /metrics 404 (N8N_METRICS is off): the redirect is the edge's
    main = instance(simple_app.run, "n8n-main")
    assert runtime.http_status("http://127.0.0.1:{0}/metrics".format(main.port(5678))) == 404


def test_operator_api_key_file_and_admin_endpoint(simple_app, sandbox, ca_context):
    op = sandbox.n8n.operator(simple_app.name)
    path = os.path.join(sandbox.state_dir, "n8n-api-keys", simple_app.name + ".key")
    assert op["api_key_file"] == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        key = handle.read().strip()
    assert key == op["api_key"] and key.count(".") == 2  # n8n's API keys are JWTs
    with urllib.request.urlopen(sandbox.api_url + "/_sandbox/n8n/" + simple_app.name, context=ca_context) as r:
        assert json.loads(r.read())["api_key"] == key
    # the key works on n8n's public API through the public route; a wrong one is refused
    st, body = simple_app.client.request("GET", "/api/v1/workflows", api=True)
    assert st == 200 and "data" in body
    bad = runtime.N8nClient(simple_app.url, ssl_context=ca_context)
    bad.api_key = "nope"
    assert bad.request("GET", "/api/v1/workflows", api=True)[0] == 401


def test_secure_cookie_over_the_public_route(simple_app, sandbox, ca_context):
    """N8N_SECURE_COOKIE is on by default: behind the HTTPS route (X-Forwarded-Proto, N8N_PROXY_HOPS=1)
    the login cookie is Secure."""
    op = sandbox.n8n.operator(simple_app.name)
    req = urllib.request.Request(simple_app.url + "/rest/login", method="POST",
                                 data=json.dumps({"emailOrLdapLoginId": op["owner_email"],
                                                  "password": op["owner_password"]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ca_context) as r:
        cookies = r.headers.get_all("Set-Cookie")
    auth = [c for c in cookies if c.startswith("n8n-auth=")]
    assert auth and "secure" in auth[0].lower(), cookies


def test_run_logs_are_n8ns_through_app_logs(simple_app, run_module):
    result = run_module("app_logs", {"app": simple_app.name, "component": "n8n-main", "type": "RUN"})
    assert not result.get("failed"), result
    text = json.dumps(result)
    assert "Editor is now accessible via" in text


def test_no_deprecation_for_a_rendered_setting(simple_app):
    found = helpers.assert_no_rendered_deprecations(simple_app.run)
    assert not found, found  # external runner: nothing deprecated at all
    print("\nrendered deprecations: " + json.dumps(found))


def test_code_node_runs_in_mains_own_external_runner(simple_app, ca_context):
    """Main executes everything itself in this tier, so it hosts the broker its one runner connects to."""
    app = simple_app
    main = instance(app.run, "n8n-main")
    runner = instance(app.run, "n8n-runner-main")
    assert runner.env["N8N_RUNNERS_TASK_BROKER_URI"] == "http://127.0.0.1:{0}".format(main.port(5679))
    path = "simple-code-" + secrets.token_hex(4)
    wid = helpers.create_and_activate(app.client, helpers.webhook_code_workflow(
        path, "return [{json: {sum: 20 + 22, proc: typeof process}}];"))
    st, body = helpers.call_webhook(app.url, path, ca_context)
    assert st == 200 and body["sum"] == 42, body
    assert body["proc"] == "undefined"
    assert helpers.executions(app.client, wid)[0]["status"] == "success"
    assert 'Registered runner "JS Task Runner"' in main.process.log_text()
    assert "exchanged auth token for a grant token" in runner.process.log_text()


def test_wrong_ca_fails_with_n8ns_own_error(simple_app, n8n_install, tmp_path):
    """Verification is really on: a CA that did not sign the server certificate makes n8n fail with
    its own error (the rendered env of the deployed main, only the CA swapped)."""
    main = instance(simple_app.run, "n8n-main")
    other = CA(str(tmp_path / "other-ca"))
    env = dict(main.env, DB_POSTGRESDB_SSL_CA=other.pem, N8N_RUNNERS_BROKER_PORT=str(runtime.free_port()))
    p = runtime.start_n8n(n8n_install, ["start"], env, tmp_path, name="wrong-ca-main", port=runtime.free_port())
    try:
        p.wait_for_log("Initial database connection attempt 1 failed", timeout=120)
        assert "unable to verify the first certificate" in p.log_text() or \
            "self-signed certificate" in p.log_text(), p.tail()
    finally:
        p.stop()


def test_redeploy_switches_traffic_and_stops_the_old_processes(simple_app, sandbox, modules, ca_context):
    """Runs last in this module: an update deploys new processes; once they are ACTIVE the route serves
    them and the previous deployment's processes stop.  The owner and API key carry over."""
    old_main = instance(simple_app.run, "n8n-main")
    spec = simple_app.spec
    for entry in spec["services"][0]["envs"]:
        if entry["key"] == "N8N_LOG_LEVEL":
            entry["value"] = "warn"
    result = modules("app", {"spec": spec, "wait_timeout": 300})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["deployment"]["phase"] == "ACTIVE"
    new_main = instance(run_of(sandbox, simple_app.name), "n8n-main")
    assert new_main is not old_main and new_main.env["N8N_LOG_LEVEL"] == "warn"
    assert old_main.process.popen.wait(timeout=60) is not None  # stopped by the emulator's supersede
    assert new_main.process.running()
    status, _, _ = helpers.https_get(simple_app.url + "/healthz/readiness", ca_context)
    assert status == 200
    st, _ = simple_app.client.request("GET", "/api/v1/workflows", api=True)
    assert st == 200  # the key the sandbox handed over still works (same database)
