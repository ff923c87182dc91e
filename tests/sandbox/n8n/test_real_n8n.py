# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real n8n 2.41.x processes: PostgreSQL over verified TLS, queue mode over TLS Redis, and
a Code node run through an external JS task runner paired by the launcher stand-in."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request

import pytest

import runtime

pytestmark = pytest.mark.real_n8n


def webhook_code_workflow(path: str, js: str, name: str | None = None) -> dict:
    """Webhook (GET /webhook/<path>, answers with the last node's output) -> Code node."""
    return {
        "name": name or f"sandbox-{path}",
        "nodes": [
            {"id": "a1", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
             "position": [0, 0], "webhookId": path,
             "parameters": {"path": path, "httpMethod": "GET", "responseMode": "lastNode",
                            "responseData": "firstEntryJson"}},
            {"id": "a2", "name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2,
             "position": [220, 0], "parameters": {"jsCode": js}},
        ],
        "connections": {"Webhook": {"main": [[{"node": "Code", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1", "saveDataSuccessExecution": "all"},
    }


def create_and_activate(client: runtime.N8nClient, wf: dict) -> str:
    st, body = client.request("POST", "/api/v1/workflows", wf, api=True)
    assert st == 200, body
    wid = body["id"]
    st, body = client.request("POST", f"/api/v1/workflows/{wid}/activate", api=True)
    assert st == 200, body
    return wid


def call_webhook(port: int, path: str, timeout: float = 60.0, tries: int = 20):
    """GET the production webhook; right after activation the route may need a moment (capped backoff)."""
    delay = 0.1
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhook/{path}", timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 404:
                return e.code, e.read().decode(errors="replace")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise AssertionError(f"webhook {path} never registered")


def executions(client: runtime.N8nClient, wid: str) -> list:
    st, body = client.request("GET", f"/api/v1/executions?workflowId={wid}&limit=20", api=True)
    assert st == 200, body
    return body["data"]


# ---- main on PostgreSQL with TLS verification ---------------------------------------------------
def test_main_ready_on_postgres_tls_verified(runners_stack, pg_server):
    s = runners_stack
    assert runtime.http_status(f"http://127.0.0.1:{s.port}/healthz/readiness") == 200
    print(f"\nmain boot to readiness (fresh DB, migrations, verified TLS): {s.boot_seconds:.1f}s")
    # n8n's connections to its database really are TLS
    out = pg_server.psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                         f"WHERE a.datname = '{s.db}' AND s.ssl")
    assert int(out.strip()) >= 1
    assert "SELF_SIGNED_CERT" not in s.main.log_text()


def test_owner_and_api_key_over_rest(runners_stack):
    c = runners_stack.client
    assert c.api_key and c.api_key.count(".") == 2  # a JWT
    st, body = c.request("GET", "/api/v1/workflows", api=True)
    assert st == 200 and "data" in body
    bad = runtime.N8nClient(c.base)
    bad.api_key = "nope"
    assert bad.request("GET", "/api/v1/workflows", api=True)[0] == 401


def test_wrong_ca_fails_with_n8ns_own_error(n8n_install, sandbox_dir, pg_server, runners_stack):
    """Verification is really on: a CA that did not sign the server certificate makes n8n fail
    to start, with its own error in the log (what a deployment's log lines must show)."""
    import services

    other = services.SandboxCA.create(sandbox_dir / "other-ca")
    env = {
        "DB_TYPE": "postgresdb", "DB_POSTGRESDB_HOST": "127.0.0.1", "DB_POSTGRESDB_PORT": str(pg_server.port),
        "DB_POSTGRESDB_DATABASE": runners_stack.db, "DB_POSTGRESDB_USER": runners_stack.db,
        "DB_POSTGRESDB_PASSWORD": "irrelevant", "DB_POSTGRESDB_SSL_ENABLED": "true",
        "DB_POSTGRESDB_SSL_CA": other.ca_pem, "DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED": "true",
        "N8N_ENCRYPTION_KEY": secrets.token_hex(24),
    }
    p = runtime.start_n8n(n8n_install, ["start"], env, sandbox_dir, name="wrong-ca-main", port=runtime.free_port())
    try:
        # n8n retries the first connection 5 times (1+2+4+8+16 s) and then exits; its first
        # failure already carries the error, so don't wait the half minute out
        p.wait_for_log("Initial database connection attempt 1 failed", timeout=120)
        assert "unable to verify the first certificate" in p.log_text(), p.tail()
        assert runtime.http_status(f"http://127.0.0.1:{p.env['N8N_PORT']}/healthz/readiness") != 200
    finally:
        p.stop()


# ---- external task runner ------------------------------------------------------------------------
def test_code_node_runs_through_external_runner(runners_stack):
    s = runners_stack
    path = "code-" + secrets.token_hex(4)
    wid = create_and_activate(s.client, webhook_code_workflow(
        path, "return [{json: {sum: 2 + 3, items: $input.all().length, proc: typeof process}}];"))
    st, body = call_webhook(s.port, path)
    assert st == 200, body
    assert body["sum"] == 5 and body["items"] == 1
    assert body["proc"] == "undefined"  # evaluated in the runner's sandbox, not in n8n's process
    ex = executions(s.client, wid)
    assert ex and ex[0]["status"] == "success"
    # the pairing is real: the broker registered the runner the stand-in launched with a grant token
    st, status = runtime.N8nClient(f"http://127.0.0.1:{s.launcher_port}").request("GET", "/status")
    assert st == 200 and status["launches"] >= 1 and status["runner_pid"], status
    assert "exchanged auth token for a grant token" in s.launcher.log_text()
    assert "Registered runner" in s.main.log_text() or "JS Task Runner" in s.main.log_text()


# ---- queue mode ------------------------------------------------------------------------------------
def test_worker_healthy_on_queue_health_port(queue_stack):
    q = queue_stack
    for path in ("/healthz", "/healthz/readiness"):
        assert runtime.http_status(f"http://127.0.0.1:{q.worker_port}{path}") == 200
    assert runtime.http_status(f"http://127.0.0.1:{q.port}/healthz/readiness") == 200
    print(f"\nqueue main ready {q.main_boot:.1f}s; worker ready {q.worker_boot:.1f}s after its start")


def test_webhook_workflow_runs_on_worker(queue_stack, pg_server):
    q = queue_stack
    path = "queue-" + secrets.token_hex(4)
    wid = create_and_activate(q.client, webhook_code_workflow(path, "return [{json: {ok: true, n: 6 * 7}}];"))
    st, body = call_webhook(q.port, path)
    assert st == 200 and body == {"ok": True, "n": 42}, body
    # stored with status success in PostgreSQL, executed by the worker
    rows = pg_server.psql(f"SELECT id, status, mode FROM execution_entity WHERE \"workflowId\" = '{wid}'",
                          db=q.db).strip().splitlines()
    assert rows and all("|success|webhook" in r for r in rows), rows
    q.worker.wait_for_log("finished execution", timeout=30)


def test_redis_tls_without_ca_is_rejected(n8n_install, sandbox_dir, queue_stack):
    """n8n verifies the Redis server certificate (QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE
    defaults to true) but has no Redis CA setting: without the CA in Node's store
    (NODE_EXTRA_CA_CERTS) a worker cannot connect to a Redis whose certificate a private CA signed."""
    env = {k: v for k, v in queue_stack.env.items() if k != "NODE_EXTRA_CA_CERTS"}
    env["QUEUE_HEALTH_CHECK_ACTIVE"] = "true"
    p = runtime.start_n8n(n8n_install, ["worker"], env, sandbox_dir, name="worker-no-ca", port=runtime.free_port())
    try:
        with pytest.raises(runtime.ProcessFailed) as ei:
            p.wait_healthy(timeout=90)
        msg = str(ei.value).lower()
        assert "certificate" in msg or "self-signed" in msg or "self signed" in msg, msg
    finally:
        p.stop()


def test_redis_tls_unverified_when_validation_off(n8n_install, sandbox_dir, queue_stack):
    """QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE=false: encrypted but unverified, connects without the CA."""
    env = {k: v for k, v in queue_stack.env.items() if k != "NODE_EXTRA_CA_CERTS"}
    env.update(QUEUE_HEALTH_CHECK_ACTIVE="true", QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE="false")
    p = runtime.start_n8n(n8n_install, ["worker"], env, sandbox_dir, name="worker-no-validate",
                          port=runtime.free_port())
    try:
        p.wait_healthy(timeout=120)
        assert "self-signed certificate" not in p.log_text()
    finally:
        p.stop()
