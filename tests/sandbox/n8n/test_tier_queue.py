# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The queue tier's rendered spec boots real n8n main + worker on PostgreSQL (verified TLS) and the
sandbox's TLS-only Redis; a webhook workflow created through the public API runs on the worker, its Code node in the worker's own external runner."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.sandbox.n8n import helpers, runtime
from tests.sandbox.n8n.conftest import instance

pytestmark = pytest.mark.real_n8n


def test_main_ready_and_worker_healthy_on_its_queue_health_port(queue_app, ca_context):
    status, _, _ = helpers.https_get(queue_app.url + "/healthz/readiness", ca_context)
    assert status == 200
    worker = instance(queue_app.run, "n8n-worker-1")
    assert worker.argv == ["worker", "--concurrency=5"]  # the spec's run_command
    port = worker.port(5678)  # QUEUE_HEALTH_CHECK_PORT, remapped
    assert worker.env["QUEUE_HEALTH_CHECK_PORT"] == str(port)
    for path in ("/healthz", "/healthz/readiness"):
        assert runtime.http_status("http://127.0.0.1:{0}{1}".format(port, path)) == 200


def test_webhook_workflow_runs_on_the_worker(queue_app, sandbox, ca_context):
    path = "queue-" + secrets.token_hex(4)
    wid = helpers.create_and_activate(queue_app.client,
                                      helpers.webhook_code_workflow(path, "return [{json: {ok: true, n: 6 * 7}}];"))
    st, body = helpers.call_webhook(queue_app.url, path, ca_context)
    assert st == 200 and body == {"ok": True, "n": 42}, body
    main = instance(queue_app.run, "n8n-main")
    rows = sandbox.postgres.psql("SELECT id, status, mode FROM execution_entity WHERE \"workflowId\" = '{0}'".format(
        wid), database=main.env["DB_POSTGRESDB_DATABASE"]).strip().splitlines()
    assert rows and all("|success|webhook" in r for r in rows), rows
    worker = instance(queue_app.run, "n8n-worker-1")
    worker.process.wait_for_log("finished execution", timeout=30)
    # the Code node ran in the worker's own runner (n8n-runner-1 -> http://n8n-worker-1:5679)
    assert 'Registered runner "JS Task Runner"' in worker.process.log_text()
    assert "exchanged auth token for a grant token" in instance(queue_app.run, "n8n-runner-1").process.log_text()
    # not executed by main (queue mode): main only enqueued it
    assert "Worker finished execution" not in main.process.log_text()


def test_no_deprecation_for_a_rendered_setting(queue_app):
    found = helpers.assert_no_rendered_deprecations(queue_app.run)
    assert not found, found  # external runners: nothing deprecated at all
    print("\nrendered deprecations: " + json.dumps(found))


def _worker_env(queue_app):
    worker = instance(queue_app.run, "n8n-worker-1")
    return {k: v for k, v in worker.env.items() if k != "NODE_EXTRA_CA_CERTS"}


def test_redis_tls_without_the_ca_is_rejected(queue_app, n8n_install, tmp_path):
    """n8n verifies the Redis certificate (QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE defaults to true) but has
    no Redis CA setting: without the sandbox CA in Node's store a worker cannot connect."""
    env = dict(_worker_env(queue_app), N8N_RUNNERS_BROKER_PORT=str(runtime.free_port()))
    p = runtime.start_n8n(n8n_install, ["worker"], env, tmp_path, name="worker-no-ca", port=runtime.free_port())
    try:
        with pytest.raises(runtime.ProcessFailed) as ei:
            p.wait_healthy(timeout=90)
        msg = str(ei.value).lower()
        assert "self-signed certificate" in msg or "unable to verify" in msg, msg
    finally:
        p.stop()


def test_redis_tls_unverified_when_validation_is_off(queue_app, n8n_install, tmp_path):
    env = dict(_worker_env(queue_app), N8N_RUNNERS_BROKER_PORT=str(runtime.free_port()),
               QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE="false")
    p = runtime.start_n8n(n8n_install, ["worker"], env, tmp_path, name="worker-no-validate",
                          port=runtime.free_port())
    try:
        p.wait_healthy(timeout=120)
        assert "self-signed certificate" not in p.log_text()
    finally:
        p.stop()
