# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session fixtures that run REAL n8n (from the cache install.py fills) against TLS-only
PostgreSQL and Redis on loopback.  Every n8n process is started once per test session.

Tests that need it are marked ``real_n8n`` and skip, saying why, when the cache is absent
or PostgreSQL/Redis binaries are missing.  Select them with ``pytest -m real_n8n``.
Set APPPLATFORM_N8N_KEEP=1 to keep the session directory (logs, data) after the run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import runtime  # noqa: E402
import services  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_n8n: runs real n8n processes from the install.py cache (skips when the cache is absent)")


# ---- infrastructure --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def n8n_install():
    inst = runtime.find_install()
    if inst is None:
        pytest.skip(runtime.missing_install_reason())
    return inst


@pytest.fixture(scope="session")
def sandbox_dir():
    # not under pytest's 0700 basetemp: the postgres user must be able to reach its data dir
    d = Path(tempfile.mkdtemp(prefix="appplatform-n8n-real-"))
    os.chmod(d, 0o755)
    yield d
    if not os.environ.get("APPPLATFORM_N8N_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    else:
        print(f"\nkept sandbox dir {d}")


@pytest.fixture(scope="session")
def sandbox_ca(sandbox_dir):
    pytest.importorskip("cryptography")
    return services.SandboxCA.create(sandbox_dir / "ca")


@pytest.fixture(scope="session")
def pg_server(n8n_install, sandbox_dir, sandbox_ca):
    if not (services.PG_BIN / "postgres").exists():
        pytest.skip(f"PostgreSQL binaries not found in {services.PG_BIN} (apt-get install postgresql-15)")
    pg = services.PostgresServer(sandbox_dir / "pg", sandbox_ca).start()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def redis_server(n8n_install, sandbox_dir, sandbox_ca):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not found (apt-get install redis-server)")
    rd = services.RedisServer(sandbox_dir / "redis", sandbox_ca, password=secrets.token_urlsafe(16)).start()
    yield rd
    rd.stop()


# ---- env blocks, as the roles render them for App Platform (bindables resolved) ----------------
def pg_env(pg: services.PostgresServer, ca: services.SandboxCA, db: str, password: str) -> dict:
    """DB_* as rendered with ${db.HOSTNAME}... and ${db.CA_CERT} resolved; verification on."""
    return {
        "DB_TYPE": "postgresdb",
        "DB_POSTGRESDB_HOST": "127.0.0.1",
        "DB_POSTGRESDB_PORT": str(pg.port),
        "DB_POSTGRESDB_DATABASE": db,
        "DB_POSTGRESDB_USER": db,
        "DB_POSTGRESDB_PASSWORD": password,
        "DB_POSTGRESDB_SSL_ENABLED": "true",
        "DB_POSTGRESDB_SSL_CA": ca.ca_pem,
        "DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED": "true",
    }


def redis_env(rd: services.RedisServer) -> dict:
    return {
        "QUEUE_BULL_REDIS_HOST": "127.0.0.1",
        "QUEUE_BULL_REDIS_PORT": str(rd.port),
        "QUEUE_BULL_REDIS_PASSWORD": rd.password or "",
        "QUEUE_BULL_REDIS_TLS": "true",
    }


def make_db(pg, name):
    password = secrets.token_urlsafe(16)
    pg.create_database(name, name, password)
    return password


class Stack:
    """Processes of one app (for the tests: URLs, API client, handles)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _stop_all(procs):
    runtime.stop_all(procs)


# ---- stacks ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def runners_stack(n8n_install, sandbox_dir, sandbox_ca, pg_server):
    """Main in regular mode on PostgreSQL (TLS, verified) with EXTERNAL task runners: broker on
    0.0.0.0:<free port>, the launcher stand-in pairs the real JS runner with it."""
    pw = make_db(pg_server, "n8n_runners")
    port, broker_port, launcher_port = runtime.free_port(), runtime.free_port(), runtime.free_port()
    token = secrets.token_urlsafe(24)
    env = {
        **pg_env(pg_server, sandbox_ca, "n8n_runners", pw),
        "N8N_ENCRYPTION_KEY": secrets.token_hex(24),
        "N8N_RUNNERS_MODE": "external",
        "N8N_RUNNERS_AUTH_TOKEN": token,
        "N8N_RUNNERS_BROKER_LISTEN_ADDRESS": "0.0.0.0",
        "N8N_RUNNERS_BROKER_PORT": str(broker_port),
        "N8N_RUNNERS_TASK_TIMEOUT": "60",
        "N8N_RUNNERS_TASK_REQUEST_TIMEOUT": "30",
        "N8N_WEBHOOK_URL": f"http://127.0.0.1:{port}/",
        "N8N_SECURE_COOKIE": "false",
        "GENERIC_TIMEZONE": "Europe/Amsterdam",
    }
    procs = []
    try:
        main = runtime.start_n8n(n8n_install, ["start"], env, sandbox_dir, name="runners-main", port=port)
        procs.append(main)
        launcher = runtime.start_launcher(n8n_install, {
            "N8N_RUNNERS_AUTH_TOKEN": token,
            "N8N_RUNNERS_TASK_BROKER_URI": f"http://127.0.0.1:{broker_port}",
            "N8N_RUNNERS_TASK_TIMEOUT": "60",
            "GENERIC_TIMEZONE": "Europe/Amsterdam",
        }, sandbox_dir, name="runners-launcher", health_port=launcher_port)
        procs.append(launcher)
        boot = main.wait_healthy(timeout=240)
        launcher.wait_healthy(timeout=30)
        client = runtime.N8nClient(f"http://127.0.0.1:{port}")
        client.bootstrap()
        yield Stack(main=main, launcher=launcher, client=client, port=port, broker_port=broker_port,
                    launcher_port=launcher_port,
                    boot_seconds=boot, db="n8n_runners")
    finally:
        _stop_all(procs)


@pytest.fixture(scope="session")
def queue_stack(n8n_install, sandbox_dir, sandbox_ca, pg_server, redis_server):
    """Queue tier: main (EXECUTIONS_MODE=queue, manual executions offloaded) + one worker, on
    PostgreSQL (TLS, verified) and TLS-only Redis; the worker's health on its queue health port."""
    pw = make_db(pg_server, "n8n_queue")
    port, worker_port = runtime.free_port(), runtime.free_port()
    common = {
        **pg_env(pg_server, sandbox_ca, "n8n_queue", pw),
        **redis_env(redis_server),
        "EXECUTIONS_MODE": "queue",
        "N8N_ENCRYPTION_KEY": secrets.token_hex(24),
        "GENERIC_TIMEZONE": "Europe/Amsterdam",
        "N8N_RUNNERS_MODE": "internal",
        # n8n has no Redis CA setting: Node's own CA store is how the sandbox CA gets trusted
        "NODE_EXTRA_CA_CERTS": str(sandbox_ca.ca_cert),
    }
    procs = []
    try:
        t0 = time.monotonic()
        main = runtime.start_n8n(n8n_install, ["start"], {
            **common, "OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS": "true",
            "N8N_WEBHOOK_URL": f"http://127.0.0.1:{port}/", "N8N_SECURE_COOKIE": "false",
        }, sandbox_dir, name="queue-main", port=port)
        procs.append(main)
        # start the worker only once main has migrated the database (as a deploy would order it
        # via health checks; two migrating processes on 2 cores only slow each other down)
        main_boot = main.wait_healthy(timeout=240)
        worker = runtime.start_n8n(n8n_install, ["worker", "--concurrency=5"], {
            **common, "QUEUE_HEALTH_CHECK_ACTIVE": "true",
        }, sandbox_dir, name="queue-worker", port=worker_port)
        procs.append(worker)
        worker_boot = worker.wait_healthy(timeout=240)
        client = runtime.N8nClient(f"http://127.0.0.1:{port}")
        client.bootstrap()
        yield Stack(main=main, worker=worker, client=client, port=port, worker_port=worker_port,
                    main_boot=main_boot, worker_boot=worker_boot, db="n8n_queue",
                    total=time.monotonic() - t0, env=common)
    finally:
        _stop_all(procs)
