# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run real n8n processes (main / worker / webhook) and JS task runners on loopback.

The building block the sandbox (and later the DigitalOcean emulator) uses to turn one
component instance of an app spec into one process:

    inst = find_install()                       # None when install.py has not run
    p = start_n8n(inst, ["worker", "--concurrency=5"], env={...}, port=free_port(),
                  workdir=tmp, name="n8n-worker-0")
    p.wait_healthy()                            # /healthz/readiness on that port, capped backoff
    ...
    p.stop()                                    # SIGTERM to the process group, SIGKILL after a grace

Environment: a process gets **only** the env it is given plus PATH (the cached Node 24
first), HOME and N8N_USER_FOLDER (a fresh folder under ``workdir``), as a container gets
only its spec's envs.  Nothing of the caller's environment leaks in (notably not
NODE_EXTRA_CA_CERTS, which this machine sets globally and which would make TLS
verification pass for the wrong reason).  ``SANDBOX_DEFAULTS`` holds offline-friendly
settings that are applied only where the given env does not set the key; pass
``defaults=False`` to get none of them.

The task-runner launcher (a Go binary in the n8nio/runners image, not on npm) is played
by ``launcher.py`` next to this file; ``start_launcher`` starts it as its own process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import install as _install  # noqa: E402  (same directory, stdlib only)

# Offline-friendly settings, applied with lower priority than the component's env.
SANDBOX_DEFAULTS = {
    "N8N_DIAGNOSTICS_ENABLED": "false",
    "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
    "N8N_TEMPLATES_ENABLED": "false",
    "N8N_PERSONALIZATION_ENABLED": "false",
    "N8N_HIRING_BANNER_ENABLED": "false",
    "N8N_LISTEN_ADDRESS": "127.0.0.1",
    "N8N_WORKER_SERVER_ADDRESS": "127.0.0.1",
}


@dataclass(frozen=True)
class N8nInstall:
    cache: Path
    node_bin: Path           # directory holding node/npm/npx
    n8n_dir: Path
    n8n_bin: Path            # node_modules/.bin/n8n
    task_runner_start: Path  # node_modules/@n8n/task-runner/dist/start.js
    n8n_version: str
    node_version: str

    @property
    def node(self) -> Path:
        return self.node_bin / "node"


def find_install(cache: str | os.PathLike | None = None) -> N8nInstall | None:
    """The cached install made by install.py, or None when absent or stale."""
    root = _install.cache_root(str(cache) if cache else None)
    d = _install.n8n_dir(root)
    if not _install.n8n_cache_ok(d):
        return None
    nd = _install.node_dir(root)
    if not _install.marker_ok(nd, _install.NODE_VERSION, _install.node_recipe_hash()):
        return None
    p = _install.paths(root)
    return N8nInstall(cache=root, node_bin=Path(p["node_bin"]), n8n_dir=d, n8n_bin=Path(p["n8n_bin"]),
                      task_runner_start=Path(p["task_runner_start"]), n8n_version=p["n8n_version"],
                      node_version=p["node_version"])


def missing_install_reason(cache=None) -> str:
    root = _install.cache_root(str(cache) if cache else None)
    return (f"real n8n {_install.N8N_VERSION} is not installed in {root} "
            f"(run: python3 tests/sandbox/n8n/install.py; set APPPLATFORM_N8N_CACHE to use another cache)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError, ValueError):
        return None


class ProcessFailed(RuntimeError):
    """A managed process exited or never became healthy; the message carries its last log lines."""


@dataclass
class ManagedProcess:
    name: str
    argv: list
    env: dict
    log_path: Path
    cwd: Path
    health_url: str | None = None
    popen: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    healthy_after: float | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.cwd.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        try:
            self.started_at = time.monotonic()
            # own session = own process group: stop() signals the runner children as well
            self.popen = subprocess.Popen([str(a) for a in self.argv], env=self.env, cwd=self.cwd,
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_healthy(self, url: str | None = None, timeout: float = 180.0, expect: int = 200,
                     first_delay: float = 0.1, max_delay: float = 1.0) -> float:
        """Poll url until it answers `expect`; capped exponential backoff, returns seconds since start."""
        url = url or self.health_url
        if not url:
            raise ValueError("no health URL")
        deadline = time.monotonic() + timeout
        delay = first_delay
        while True:
            if not self.running():
                raise ProcessFailed(f"{self.name} exited (rc={self.popen.returncode if self.popen else None}) "
                                    f"before {url} was healthy:\n{self.tail()}")
            if http_status(url, timeout=min(2.0, max_delay + 1)) == expect:
                self.healthy_after = time.monotonic() - self.started_at
                return self.healthy_after
            if time.monotonic() >= deadline:
                raise ProcessFailed(f"{self.name}: {url} not {expect} after {timeout:.0f}s:\n{self.tail()}")
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, max_delay)

    def wait_for_log(self, needle: str, timeout: float = 60.0, max_delay: float = 0.5) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while needle not in self.log_text():
            if time.monotonic() >= deadline:
                raise ProcessFailed(f"{self.name}: {needle!r} not logged after {timeout:.0f}s:\n{self.tail()}")
            if not self.running():
                raise ProcessFailed(f"{self.name} exited before logging {needle!r}:\n{self.tail()}")
            time.sleep(delay)
            delay = min(delay * 2, max_delay)

    def terminate(self) -> None:
        """Send SIGTERM to the process group (n8n and, e.g., its internal runner child)."""
        if self.popen is not None and self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `grace` seconds; returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.terminate()
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        # children left in the group (e.g. a runner) go too
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.popen.returncode

    # -- logs --------------------------------------------------------------------------------
    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])


def stop_all(procs, grace: float = 30.0) -> None:
    """Stop several processes at once: SIGTERM to every group first, then wait for each."""
    procs = [p for p in procs if p is not None]
    for p in procs:
        p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.stop(grace=max(0.1, deadline - time.monotonic()))


def process_env(inst: N8nInstall, env: dict, home: Path, defaults: bool = True) -> dict:
    """The complete environment of one process: given env over sandbox defaults, nothing inherited."""
    out = dict(SANDBOX_DEFAULTS) if defaults else {}
    out.update({k: str(v) for k, v in env.items()})
    out["PATH"] = f"{inst.node_bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
    out.setdefault("HOME", str(home))
    out.setdefault("N8N_USER_FOLDER", str(home))
    out.setdefault("LANG", "C.UTF-8")
    return out


def start_n8n(inst: N8nInstall, argv: list | None, env: dict, workdir: Path, name: str = "n8n",
              port: int | None = None, broker_port: int | None = None, defaults: bool = True,
              health_path: str = "/healthz/readiness") -> ManagedProcess:
    """Start `n8n <argv>` (["start"], ["worker", "--concurrency=5"], ["webhook"]).

    `port` is where its health answers: N8N_PORT for start/webhook, QUEUE_HEALTH_CHECK_PORT
    for worker (QUEUE_HEALTH_CHECK_ACTIVE is set to true if the env does not set it).  Unless
    the env sets N8N_RUNNERS_BROKER_PORT, the task broker (which every main/worker opens) gets
    a free port so processes on one host do not collide on 5679.  Nothing else is added.
    """
    argv = [str(a) for a in (argv or [])]
    if argv and Path(argv[0]).name == "n8n":  # a run_command such as "n8n worker --concurrency=10"
        argv = argv[1:]
    argv = argv or ["start"]
    role = argv[0] if not argv[0].startswith("-") else "start"
    env = dict(env)
    workdir = Path(workdir)
    home = workdir / name / "home"
    home.mkdir(parents=True, exist_ok=True)
    if role == "worker":
        env.setdefault("QUEUE_HEALTH_CHECK_ACTIVE", "true")
        if port is not None:
            env["QUEUE_HEALTH_CHECK_PORT"] = str(port)
        port = int(env.get("QUEUE_HEALTH_CHECK_PORT", 5678))
    else:
        if port is not None:
            env["N8N_PORT"] = str(port)
        port = int(env.get("N8N_PORT", 5678))
    if "N8N_RUNNERS_BROKER_PORT" not in env:
        env["N8N_RUNNERS_BROKER_PORT"] = str(broker_port or free_port())
    full_env = process_env(inst, env, home, defaults)
    p = ManagedProcess(name=name, argv=[inst.n8n_bin, *argv], env=full_env, log_path=workdir / name / "n8n.log",
                       cwd=workdir / name, health_url=f"http://127.0.0.1:{port}{health_path}")
    return p.start()


def start_launcher(inst: N8nInstall, env: dict, workdir: Path, name: str = "n8n-runner",
                   health_port: int | None = None, runner_health_port: int | None = None) -> ManagedProcess:
    """Start the launcher stand-in (launcher.py) with a runner component's env.

    `env` is what the spec gives the runner component: N8N_RUNNERS_AUTH_TOKEN,
    N8N_RUNNERS_TASK_BROKER_URI, optionally N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT,
    N8N_RUNNERS_MAX_CONCURRENCY, GENERIC_TIMEZONE...  Health: GET /healthz on
    N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT (as the real launcher, default 5680).
    """
    env = dict(env)
    workdir = Path(workdir)
    home = workdir / name / "home"
    home.mkdir(parents=True, exist_ok=True)
    if health_port is not None:
        env["N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT"] = str(health_port)
    hp = int(env.setdefault("N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT", "5680"))
    env["APPPLATFORM_N8N_RUNNER_HEALTH_PORT"] = str(runner_health_port or free_port())
    env["APPPLATFORM_N8N_NODE"] = str(inst.node)
    env["APPPLATFORM_N8N_TASK_RUNNER_START"] = str(inst.task_runner_start)
    full_env = process_env(inst, env, home, defaults=False)
    p = ManagedProcess(name=name, argv=[sys.executable, HERE / "launcher.py", "javascript"], env=full_env,
                       log_path=workdir / name / "launcher.log", cwd=workdir / name,
                       health_url=f"http://127.0.0.1:{hp}/healthz")
    return p.start()


# ---- n8n REST helpers (owner, API key, workflows) ----------------------------------------------
class N8nClient:
    """Minimal client for n8n's internal REST API (/rest, cookie auth) and public API (/api/v1)."""

    def __init__(self, base_url: str, ssl_context=None):
        self.base = base_url.rstrip("/")
        self.ssl_context = ssl_context
        self.cookie: str | None = None
        self.api_key: str | None = None

    def request(self, method: str, path: str, body=None, api: bool = False, timeout: float = 30.0):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if api and self.api_key:
            req.add_header("X-N8N-API-KEY", self.api_key)
        elif self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ssl_context) as r:
                raw, status, headers = r.read(), r.status, r.headers
        except urllib.error.HTTPError as e:
            raw, status, headers = e.read(), e.code, e.headers
        for c in headers.get_all("Set-Cookie") or []:
            if c.startswith("n8n-auth="):
                self.cookie = c.split(";", 1)[0]
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, payload

    def setup_owner(self, email: str, password: str, first: str = "Sandbox", last: str = "Owner") -> None:
        st, body = self.request("POST", "/rest/owner/setup", {"email": email, "firstName": first,
                                                              "lastName": last, "password": password})
        if st != 200 and not (st == 400 and "already setup" in json.dumps(body)):
            raise RuntimeError(f"owner setup: {st} {body}")

    def login(self, email: str, password: str) -> None:
        st, body = self.request("POST", "/rest/login", {"emailOrLdapLoginId": email, "password": password})
        if st != 200 or not self.cookie:
            raise RuntimeError(f"login: {st} {body}")

    def create_api_key(self, label: str = "sandbox") -> str:
        st, scopes = self.request("GET", "/rest/api-keys/scopes")
        if st != 200:
            raise RuntimeError(f"api-key scopes: {st} {scopes}")
        scopes = scopes.get("data", scopes) if isinstance(scopes, dict) else scopes
        st, body = self.request("POST", "/rest/api-keys", {"label": label, "scopes": scopes, "expiresAt": None})
        if st != 200:
            raise RuntimeError(f"api-key: {st} {body}")
        self.api_key = body["data"]["rawApiKey"]
        return self.api_key

    def bootstrap(self, email: str = "owner@sandbox.test", password: str = "Sandb0x!Passw0rd") -> str:
        """Owner + login + API key, as an operator would; returns the raw API key."""
        self.setup_owner(email, password)
        self.login(email, password)
        return self.create_api_key()
