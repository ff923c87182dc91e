# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures that deploy REAL n8n through the app module into the sandbox (``Sandbox(real_n8n=True)``).

The ``sandbox`` fixture is overridden here: one sandbox per session (its CA, PostgreSQL and Redis are
the only ones), with the :class:`RealN8nDeployments` hook.  Each tier's app is deployed once, by a
module-scoped fixture used by that tier's test module, and deleted when the module is done (the
tiers share the sandbox's one Redis, which is why they do not run side by side).

Tests are marked ``real_n8n`` and skip, saying why, when the n8n cache (``make n8n``) is absent.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import sys
import time

import pytest

from tests.conftest import ModuleRunner, _env_for
from tests.sandbox.n8n import runtime

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from plugins.plugin_utils import _n8n_spec  # noqa: E402  (pure Python, no Ansible needed)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_n8n: runs real n8n processes from the install.py cache (skips when the cache is absent)")


@pytest.fixture(scope="session")
def n8n_install():
    inst = runtime.find_install()
    if inst is None:
        pytest.skip(runtime.missing_install_reason())
    return inst


@pytest.fixture(scope="session")
def sandbox(n8n_install):
    """The sandbox, with deployments of n8n specs running real n8n."""
    from tests.sandbox.sandbox import Sandbox

    durations = {"database_create": 0.3, "database_resize": 0.3, "replica_create": 0.3, "deployment_phase": 0.1}
    box = Sandbox(durations=durations, real_n8n=True).start()
    yield box
    keep = os.environ.get("APPPLATFORM_N8N_KEEP")
    box.stop()
    if keep:
        print("\nkept sandbox state in {0}".format(box.state_dir))


@pytest.fixture(scope="session")
def modules(sandbox):
    """Runs modules like ``run_module`` does, for module-scoped fixtures."""
    return ModuleRunner(_env_for(sandbox))


@pytest.fixture(scope="session")
def ca_context(sandbox):
    return ssl.create_default_context(cafile=sandbox.ca.cert_path)


# ---- rendering ------------------------------------------------------------------------------------
def tier_settings(tier, app, **extra):
    """Test settings for the renderer: secrets, and cluster names matching the clusters created below."""
    settings = {"app_name": app, "region": "fra", "encryption_key": secrets.token_hex(24),
                "db_cluster_name": app + "-pg", "valkey_cluster_name": "sbx-valkey", "timezone": "Europe/Amsterdam",
                "worker_concurrency": 5, "runners_auth_token": secrets.token_urlsafe(32)}
    settings.update(extra)
    return settings


def render(tier, app, **extra):
    return _n8n_spec.render_app_spec(tier, tier_settings(tier, app, **extra))


def ensure_clusters(modules, spec):
    """The managed clusters the spec's databases name, created through the database_cluster module."""
    for db in spec.get("databases") or []:
        engine = {"PG": "pg", "VALKEY": "valkey"}[db["engine"]]
        result = modules("database_cluster", {"name": db["cluster_name"], "engine": engine, "region": "fra1",
                                              "size": "db-s-1vcpu-1gb", "num_nodes": 1,
                                              "version": db.get("version")})
        assert not result.get("failed"), result


class Deployed:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def deploy(sandbox, modules, spec, timeout=420):
    """Create the clusters and the app (the app module waits for ACTIVE); returns what the tests need."""
    ensure_clusters(modules, spec)
    t0 = time.monotonic()
    result = modules("app", {"spec": spec, "wait_timeout": timeout})
    elapsed = time.monotonic() - t0
    return result, elapsed


def run_of(sandbox, app_name):
    """The sandbox's Run (processes) serving the app."""
    runs = [r for r in sandbox.n8n.runs.values() if r.app_name == app_name and r.phase == "ACTIVE"
            and not r.cancel.is_set()]
    assert runs, "no active real-n8n run for " + app_name
    return runs[-1]


def instance(run, component):
    return next(i for i in run.instances if i.component == component)


def tier_app(sandbox, modules, tier, app, **extra):
    spec = render(tier, app, **extra)
    result, elapsed = deploy(sandbox, modules, spec)
    assert not result.get("failed"), result.get("msg")
    assert not sandbox.emulator.violations, json.dumps(sandbox.emulator.violations, indent=1)
    print("\n{0} tier: app module returned ACTIVE after {1:.1f}s".format(tier, elapsed))
    run = run_of(sandbox, app)
    url = result["app"]["live_url"]
    key = sandbox.n8n.operator(app)["api_key"]
    client = runtime.N8nClient(url, ssl_context=ssl.create_default_context(cafile=sandbox.ca.cert_path))
    client.api_key = key
    return Deployed(tier=tier, name=app, spec=spec, result=result, run=run, url=url, client=client,
                    seconds=elapsed, app_id=result["app"]["id"])


def delete_app(modules, app):
    result = modules("app", {"spec": {"name": app.name}, "state": "absent"})
    assert not result.get("failed"), result


@pytest.fixture(scope="module")
def simple_app(sandbox, modules):
    app = tier_app(sandbox, modules, "simple", "sbx-simple")
    yield app
    delete_app(modules, app)


@pytest.fixture(scope="module")
def queue_app(sandbox, modules):
    app = tier_app(sandbox, modules, "queue", "sbx-queue")
    yield app
    delete_app(modules, app)


@pytest.fixture(scope="module")
def production_app(sandbox, modules):
    app = tier_app(sandbox, modules, "production", "sbx-prod", db_num_nodes=2)
    yield app
    delete_app(modules, app)
