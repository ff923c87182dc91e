# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A spec with a deliberately wrong setting fails its deployment, and the app module's failure carries
n8n's own error from the real process's log lines."""

from __future__ import annotations

import pytest

from tests.sandbox.n8n.conftest import ensure_clusters, render

pytestmark = pytest.mark.real_n8n


def _set_env(spec, key, value):
    for kind in ("services", "workers"):
        for comp in spec.get(kind) or []:
            for entry in comp.get("envs") or []:
                if entry["key"] == key:
                    entry["value"] = value


def _drop_env(spec, key):
    for kind in ("services", "workers"):
        for comp in spec.get(kind) or []:
            comp["envs"] = [e for e in comp.get("envs") or [] if e["key"] != key]


def _deploy_failing(modules, spec):
    ensure_clusters(modules, spec)
    try:
        return modules("app", {"spec": spec, "wait_timeout": 300, "log_lines": 40})
    finally:
        modules("app", {"spec": {"name": spec["name"]}, "state": "absent"})


def test_wrong_database_password(modules, sandbox):
    spec = render("simple", "sbx-badpw")
    _set_env(spec, "DB_POSTGRESDB_PASSWORD", "not-the-password")
    result = _deploy_failing(modules, spec)
    assert result.get("failed"), result
    msg = result["msg"]
    assert "failed in phase DEPLOYING" in msg and "n8n-main" in msg, msg
    # n8n's own words, from the real process
    assert 'password authentication failed for user "' in msg, msg


def test_missing_runner_token(modules, sandbox):
    spec = render("production", "sbx-notoken", db_num_nodes=2)
    _drop_env(spec, "N8N_RUNNERS_AUTH_TOKEN")
    result = _deploy_failing(modules, spec)
    assert result.get("failed"), result
    msg = result["msg"]
    # main boots (it offloads every execution, so it starts no broker); the worker that hosts the broker
    # exits with n8n's own error
    assert "failed in phase DEPLOYING" in msg and "(component n8n-worker-1)" in msg, msg
    assert "Missing auth token. When `N8N_RUNNERS_MODE` is `external`, it is required to set " \
           "`N8N_RUNNERS_AUTH_TOKEN`" in msg, msg
