#!/usr/bin/env python3
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for n8n's task-runner launcher (the Go binary of the n8nio/runners image).

The launcher is not published on npm, so the sandbox plays its part.  What is REAL:
n8n's task broker (in the n8n main/worker process), the auth token, the broker's
token-for-grant exchange, and the JS task runner itself (``@n8n/task-runner``
dist/start.js from npm, run by the cached Node 24 with the flags of the runners image),
which connects to the broker's websocket with the grant token and executes Code nodes.
What is PLAYED here:

* waiting for the broker: GET ``<broker>/healthz`` with capped backoff (the real launcher
  does the same);
* the exchange: POST ``<broker>/runners/auth`` ``{"token": N8N_RUNNERS_AUTH_TOKEN}`` ->
  ``{"data": {"token": <single-use grant token>}}``; the grant goes to the runner as
  N8N_RUNNERS_GRANT_TOKEN (the real launcher does the same);
* the runner's env: the launcher's allow-list (LANG, PATH, TZ, TERM + the runners image's
  ``allowed-env``: GENERIC_TIMEZONE, NODE_OPTIONS, NODE_PATH, N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT,
  N8N_RUNNERS_GRACEFUL_SHUTDOWN_TIMEOUT, N8N_RUNNERS_TASK_TIMEOUT, N8N_RUNNERS_MAX_CONCURRENCY,
  N8N_SENTRY_DSN, N8N_VERSION, ENVIRONMENT, DEPLOYMENT_NAME, HOME), its ``env-overrides``
  (NODE_FUNCTION_ALLOW_BUILTIN=crypto, NODE_FUNCTION_ALLOW_EXTERNAL=moment) and the
  launcher-set N8N_RUNNERS_TASK_BROKER_URI / N8N_RUNNERS_HEALTH_CHECK_SERVER_ENABLED /
  N8N_RUNNERS_HEALTH_CHECK_SERVER_PORT;
* supervision: relaunch the runner with a fresh grant token whenever it exits;
* ``GET /healthz`` -> 200 on N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT (default 5680).

Different from the real launcher: it launches the runner **eagerly** instead of first
holding its own websocket to the broker and waiting for a task offer (the lazy
handshake), so N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT defaults to 0 (no idle exit) instead of
15; it does not monitor the runner's health endpoint; only the ``javascript`` runner type
exists (the Python runner is not on npm).  Extra, sandbox-only: ``GET /status`` (JSON:
runner pid, launches, last grant exchange).

Paths come from APPPLATFORM_N8N_NODE and APPPLATFORM_N8N_TASK_RUNNER_START (runtime.py sets them).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED_ENV = ["LANG", "PATH", "TZ", "TERM", "GENERIC_TIMEZONE", "NODE_OPTIONS", "NODE_PATH",
               "N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT", "N8N_RUNNERS_GRACEFUL_SHUTDOWN_TIMEOUT",
               "N8N_RUNNERS_TASK_TIMEOUT", "N8N_RUNNERS_MAX_CONCURRENCY", "N8N_SENTRY_DSN", "N8N_VERSION",
               "ENVIRONMENT", "DEPLOYMENT_NAME", "HOME"]
ENV_OVERRIDES = {"NODE_FUNCTION_ALLOW_BUILTIN": "crypto", "NODE_FUNCTION_ALLOW_EXTERNAL": "moment",
                 "N8N_RUNNERS_HEALTH_CHECK_SERVER_HOST": "127.0.0.1"}
NODE_FLAGS = ["--disallow-code-generation-from-strings", "--disable-proto=delete"]

STATE = {"runner_pid": None, "launches": 0, "last_grant_at": None, "last_error": None, "broker": None}
STOP = threading.Event()


def log(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} [launcher-standin] {msg}", flush=True)


def wait_broker(broker: str, max_delay: float = 2.0) -> None:
    delay = 0.1
    while not STOP.is_set():
        try:
            with urllib.request.urlopen(f"{broker}/healthz", timeout=3) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        STOP.wait(delay)
        delay = min(delay * 2, max_delay)


def fetch_grant_token(broker: str, auth_token: str) -> str:
    req = urllib.request.Request(f"{broker}/runners/auth", data=json.dumps({"token": auth_token}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body = json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"grant token exchange refused: HTTP {e.code} {e.read()[:300]!r}") from e
    token = (body.get("data") or {}).get("token")
    if not token:
        raise RuntimeError(f"grant token exchange: unexpected answer {body!r}")
    STATE["last_grant_at"] = time.time()
    return token


class Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif self.path == "/status":
            self._send(200, STATE)
        else:
            self._send(404, {"error": "not found"})

    def _send(self, code, obj):
        raw = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


def main(argv: list[str]) -> int:
    runner_types = argv or ["javascript"]
    if runner_types != ["javascript"]:
        log(f"only the javascript runner can be played here (asked for {runner_types}); python is skipped")
    auth = os.environ.get("N8N_RUNNERS_AUTH_TOKEN")
    if not auth:
        log("N8N_RUNNERS_AUTH_TOKEN is required")
        return 1
    broker = os.environ.get("N8N_RUNNERS_TASK_BROKER_URI", "http://127.0.0.1:5679").rstrip("/")
    STATE["broker"] = broker
    node = os.environ["APPPLATFORM_N8N_NODE"]
    start_js = os.environ["APPPLATFORM_N8N_TASK_RUNNER_START"]
    runner_health_port = os.environ.get("APPPLATFORM_N8N_RUNNER_HEALTH_PORT", "5681")
    hp = int(os.environ.get("N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT", "5680"))
    host = os.environ.get("APPPLATFORM_N8N_LAUNCHER_HOST", "127.0.0.1")

    srv = ThreadingHTTPServer((host, hp), Health)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    log(f"health check server on {host}:{hp}; broker {broker}")

    current: dict = {"proc": None}

    def on_signal(signum, _frame):
        log(f"received signal {signum}, stopping")
        STOP.set()
        p = current["proc"]
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    base_env = {k: os.environ[k] for k in ALLOWED_ENV if k in os.environ}
    base_env.setdefault("N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT", "0")
    base_env.update(ENV_OVERRIDES)
    base_env["N8N_RUNNERS_TASK_BROKER_URI"] = broker
    base_env["N8N_RUNNERS_HEALTH_CHECK_SERVER_ENABLED"] = "true"
    base_env["N8N_RUNNERS_HEALTH_CHECK_SERVER_PORT"] = runner_health_port

    failures = 0
    while not STOP.is_set():
        wait_broker(broker)
        if STOP.is_set():
            break
        try:
            grant = fetch_grant_token(broker, auth)
        except (RuntimeError, urllib.error.URLError, OSError, ValueError) as e:
            STATE["last_error"] = str(e)
            log(f"ERROR {e}")
            failures += 1
            STOP.wait(min(0.5 * 2 ** failures, 5.0))
            continue
        log("exchanged auth token for a grant token; launching JS task runner")
        env = dict(base_env, N8N_RUNNERS_GRANT_TOKEN=grant)
        p = subprocess.Popen([node, *NODE_FLAGS, start_js], env=env, stdin=subprocess.DEVNULL)
        current["proc"] = p
        STATE["runner_pid"] = p.pid
        STATE["launches"] += 1
        rc = p.wait()
        STATE["runner_pid"] = None
        if STOP.is_set():
            log(f"runner exited rc={rc} on shutdown")
            break
        failures = failures + 1 if rc else 0
        log(f"runner exited rc={rc}; relaunching")
        STOP.wait(min(0.2 * 2 ** failures, 5.0) if rc else 0)
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
