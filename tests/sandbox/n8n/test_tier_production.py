# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The production tier's rendered spec boots real n8n: main, the paired worker service (broker on its
internal port) and the runner (launcher stand-in -> JS task runner); a Code node runs in the runner."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.sandbox.n8n import helpers, runtime
from tests.sandbox.n8n.conftest import instance

pytestmark = pytest.mark.real_n8n


def test_all_components_healthy(production_app, ca_context):
    status, _, _ = helpers.https_get(production_app.url + "/healthz/readiness", ca_context)
    assert status == 200
    worker = instance(production_app.run, "n8n-worker-1")
    assert runtime.http_status("http://127.0.0.1:{0}/healthz/readiness".format(worker.port(5678))) == 200
    runner = instance(production_app.run, "n8n-runner-1")
    # http://n8n-worker-1:5679 resolved to the worker's broker port, as App Platform's internal DNS would
    assert runner.env["N8N_RUNNERS_TASK_BROKER_URI"] == "http://127.0.0.1:{0}".format(worker.port(5679))
    assert worker.env["N8N_RUNNERS_BROKER_PORT"] == str(worker.port(5679))
    assert runtime.http_status("http://127.0.0.1:{0}/healthz".format(runner.port(5680))) == 200


def test_code_node_runs_through_the_external_runner(production_app, ca_context):
    app = production_app
    path = "code-" + secrets.token_hex(4)
    wid = helpers.create_and_activate(app.client, helpers.webhook_code_workflow(
        path, "return [{json: {sum: 2 + 3, items: $input.all().length, proc: typeof process}}];"))
    st, body = helpers.call_webhook(app.url, path, ca_context)
    assert st == 200, body
    assert body["sum"] == 5 and body["items"] == 1
    assert body["proc"] == "undefined"  # evaluated in the runner's sandbox, not in n8n's process
    ex = helpers.executions(app.client, wid)
    assert ex and ex[0]["status"] == "success"
    runner = instance(app.run, "n8n-runner-1")
    st, status = runtime.N8nClient("http://127.0.0.1:{0}".format(runner.port(5680))).request("GET", "/status")
    assert st == 200 and status["launches"] >= 1 and status["runner_pid"], status
    assert "exchanged auth token for a grant token" in runner.process.log_text()
    worker = instance(app.run, "n8n-worker-1")
    assert 'Registered runner "JS Task Runner"' in worker.process.log_text()


def test_no_deprecation_for_a_rendered_setting(production_app):
    found = helpers.assert_no_rendered_deprecations(production_app.run)
    assert not found, found  # external runners: nothing deprecated at all
    print("\nrendered deprecations: " + json.dumps(found))
