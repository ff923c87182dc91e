# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""app / app_info / app_deployment / app_logs / app_alert_destinations against the sandbox's emulator."""

import copy
import json

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
def pg_cluster(emulator):
    """A managed PostgreSQL cluster named n8n-pg, as the databases resource stores it."""
    table = emulator.store.setdefault("databases", {})
    if not any(c.get("name") == "n8n-pg" for c in table.values()):
        table["0f5c2a4e-0000-4000-8000-00000000pg01"] = {"id": "0f5c2a4e-0000-4000-8000-00000000pg01", "name": "n8n-pg",
                                                         "engine": "pg", "version": "17", "status": "online"}
    return table


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
