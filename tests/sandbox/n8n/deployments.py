# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployments that run the real n8n processes of an app spec (the emulator's deployment hook).

Installed by ``Sandbox(real_n8n=True)`` / ``python -m tests.sandbox start --real-n8n`` as
``emu.hooks["deployment"]``.  For a spec whose components run the n8n image
(``ghcr.io`` ``n8n-io/n8n`` / ``n8n-io/runners``, Docker Hub ``n8nio/n8n`` / ``n8nio/runners``)
every service/worker instance becomes a process on loopback; other specs keep the simulated
timeline of :class:`SimulatedDeployments`.

What App Platform does and how the sandbox plays it:

* **Bindable variables**: ``${APP_URL}``/``${APP_DOMAIN}`` = the app's public route (below);
  ``${<db>.HOSTNAME|PORT|USERNAME|PASSWORD|DATABASE|CA_CERT|DATABASE_URL}`` from the managed
  cluster the ``databases`` entry names (the sandbox's real PostgreSQL/Redis, the sandbox CA);
  ``${<component>.PRIVATE_URL|PRIVATE_DOMAIN}`` = that component's first instance.  SECRET
  values are decrypted (:func:`decrypt`), as the platform injects plaintext into the container.
* **Network**: each instance gets its own loopback ports.  The ports it listens on (``http_port``,
  ``internal_ports``, health check ports, and the n8n settings that choose a listening port:
  ``N8N_PORT``, ``QUEUE_HEALTH_CHECK_PORT``, ``N8N_RUNNERS_BROKER_PORT``,
  ``N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT``) are remapped to free ports, and ``<component>:<port>``
  in env values (``http://n8n-worker-1:5679``) is rewritten to ``127.0.0.1:<mapped port>`` — what
  App Platform's internal DNS resolves for it.
* **Commands**: ``run_command`` (``n8n worker --concurrency=10``) or the image's default
  (``n8n start``); the runners image's launcher is played by ``launcher.py``.
* **Trust**: every process gets ``NODE_EXTRA_CA_CERTS=<sandbox CA file>``: the sandbox's Redis
  certificate is signed by a private CA and n8n has no Redis CA setting (see README).
* **Order**: App Platform starts all components at once; here the ``n8n start`` services boot first
  and the rest once they are healthy (on 2 cores two processes migrating one database only slow
  each other down).  Documented deviation; health checks decide exactly as on the platform.
* **Health**: a deployment is ACTIVE once every instance passes its ``health_check`` and
  ``liveness_health_check`` (HTTP path → 2xx/3xx, no path → TCP connect); ``initial_delay`` is not
  waited, the failure budget ``initial_delay + period x failure_threshold`` is honoured but capped
  by ``max_wait`` (default 300 s).  A process that exits, or a check that never passes, ends the
  deployment in ERROR naming the component; its log lines are the RUN logs.
* **Public route**: one HTTPS server per app (sandbox CA) applying the spec's ``ingress`` rules
  (longest matching prefix; ``redirect`` rules answered at the edge; component rules proxied with
  ``X-Forwarded-For/Proto/Host``).  The app's ``default_ingress``/``live_url`` is its URL.
* **Operator hand-over**: after the first ACTIVE deployment of an app the sandbox creates the n8n
  owner and an API key through n8n's REST API (via the public route), writes the key to
  ``<state>/n8n-api-keys/<app>.key`` (0600) and serves it at ``GET /_sandbox/n8n/<app>``.

All hook methods are called with the emulator lock held; the boot runs in a thread per deployment
and ``status`` only reads its state.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from ..emulator.core import admin_route, now_iso
from ..emulator.resources.apps import SimulatedDeployments, components, decrypt
from . import runtime

N8N_IMAGE = re.compile(r"^(n8n-io|n8nio)/(n8n|runners)$")
BINDABLE = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
# n8n settings that choose a port the process listens on, with n8n's defaults
LISTEN_KEYS = {"start": {"N8N_PORT": 5678, "N8N_RUNNERS_BROKER_PORT": 5679},
               "webhook": {"N8N_PORT": 5678, "N8N_RUNNERS_BROKER_PORT": 5679},
               "worker": {"QUEUE_HEALTH_CHECK_PORT": 5678, "N8N_RUNNERS_BROKER_PORT": 5679},
               "runner": {"N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT": 5680}}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade", "content-length"}
EXIT_REASON = ("Your deploy failed because your container exited with a non-zero exit code. Component {0} "
               "exited with code {1}")
HEALTH_REASON = "Your deploy failed because component {0} failed its health checks: {1}"


def image_kind(comp):
    """'n8n', 'runners' or None for a component's image."""
    image = comp.get("image") or {}
    found = N8N_IMAGE.match(image.get("repository") or "")
    if not found or image.get("registry_type") not in ("GHCR", "DOCKER_HUB", None):
        return None
    return found.group(2)


def is_n8n_spec(spec):
    return any(image_kind(c) for k, c in components(spec) if k in ("services", "workers"))


class Instance:
    """One instance of one component: its resolved env, port map, command and process."""

    def __init__(self, kind, comp, index):
        self.kind = kind
        self.comp = comp
        self.component = comp["name"]
        self.index = index
        count = comp.get("instance_count") or 1
        self.name = self.component if count == 1 else "{0}-{1}".format(self.component, index)
        self.image = image_kind(comp)
        argv = shlex.split(comp.get("run_command") or "")
        if argv and Path(argv[0]).name == "n8n":
            argv = argv[1:]
        self.argv = argv or (["start"] if self.image == "n8n" else [])
        self.role = "runner" if self.image == "runners" else (self.argv[0] if self.argv else "start")
        self.ports = {}
        self.env = {}
        self.process = None
        self.healthy = False

    def port(self, container_port):
        """Host port for a container port (allocated on first use)."""
        container_port = int(container_port)
        if container_port not in self.ports:
            self.ports[container_port] = runtime.free_port()
        return self.ports[container_port]

    def checks(self):
        out = [c for c in (self.comp.get("health_check"), self.comp.get("liveness_health_check")) if c]
        if not out and self.kind == "services":
            out = [{"port": self.comp.get("http_port") or (self.comp.get("internal_ports") or [8080])[0]}]
        return out


class Run:
    """One deployment's processes and phase."""

    def __init__(self, hook, app_id, app_name, deployment_id, instances, serving_component, ingress_rules):
        self.hook = hook
        self.app_id = app_id
        self.app_name = app_name
        self.deployment_id = deployment_id
        self.instances = instances
        self.serving_component = serving_component
        self.ingress_rules = ingress_rules
        self.phase = "PENDING_BUILD"
        self.since = time.time()
        self.failed_component = None
        self.reason = None
        self.events = []
        self.cancel = threading.Event()
        self.thread = None
        self.workdir = None

    def event(self, component, text):
        self.events.append((time.time(), component, text))

    def set_phase(self, phase):
        self.phase = phase
        self.since = time.time()

    def fail(self, inst, reason):
        self.failed_component = inst.component
        self.reason = reason
        self.event(inst.component, "ERROR component {0} failed to deploy: {1}".format(inst.component, reason))
        self.set_phase("ERROR")

    def processes(self):
        return [i.process for i in self.instances if i.process is not None]

    def alive(self):
        return not self.cancel.is_set() and self.phase not in ("ERROR",)


class Ingress:
    """The app's public route: HTTPS on a loopback port, the spec's ingress rules applied."""

    def __init__(self, hook, cert, key):
        self.hook = hook
        self.port = runtime.free_port()
        self.url = "https://127.0.0.1:{0}".format(self.port)
        self.run = None  # the Run whose processes serve traffic
        ingress = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                ingress.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="n8n-ingress", daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def pick_rule(rules, path, host):
        best, best_len = None, -1
        for rule in rules or []:
            match = rule.get("match") or {}
            authority = (match.get("authority") or {}).get("exact")
            if authority and authority != host.split(":")[0]:
                continue
            prefix = ((match.get("path") or {}).get("prefix")) or "/"
            if path.startswith(prefix) and len(prefix) > best_len:
                best, best_len = rule, len(prefix)
        return best

    def handle(self, req):
        run = self.run
        host = req.headers.get("Host") or "127.0.0.1:{0}".format(self.port)
        split = urlsplit(req.path)
        path = split.path or "/"
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else None
        if run is None:
            return self.reply(req, 503, {"Content-Type": "text/plain"}, b"no active deployment\n")
        rule = self.pick_rule(run.ingress_rules, path, host)
        if rule is None:
            return self.reply(req, 404, {"Content-Type": "text/plain"}, b"not found\n")
        if rule.get("redirect"):
            r = rule["redirect"]
            authority = r.get("authority") or host.split(":")[0] + (":" + host.split(":")[1] if ":" in host else "")
            if r.get("port"):
                authority = authority.split(":")[0] + ":" + str(r["port"])
            location = "{0}://{1}{2}".format(r.get("scheme") or "https", authority, r.get("uri") or path)
            return self.reply(req, int(r.get("redirect_code") or 302), {"Location": location}, b"")
        target = (rule.get("component") or {})
        inst = next((i for i in run.instances if i.component == target.get("name") and i.index == 0), None)
        if inst is None or not inst.comp.get("http_port"):
            return self.reply(req, 502, {"Content-Type": "text/plain"}, b"no upstream\n")
        prefix = ((rule.get("match") or {}).get("path") or {}).get("prefix") or "/"
        upstream_path = path
        if target.get("rewrite"):
            upstream_path = target["rewrite"] + path[len(prefix):]
        elif not target.get("preserve_path_prefix") and prefix != "/":
            upstream_path = "/" + path[len(prefix):].lstrip("/")
        if split.query:
            upstream_path += "?" + split.query
        headers = {k: v for k, v in req.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = req.client_address[0]
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = host
        conn = http.client.HTTPConnection("127.0.0.1", inst.port(inst.comp["http_port"]), timeout=120)
        try:
            conn.request(req.command, upstream_path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            status = resp.status
        except OSError as exc:
            return self.reply(req, 502, {"Content-Type": "text/plain"}, "upstream error: {0}\n".format(exc).encode())
        finally:
            conn.close()
        return self.reply(req, status, out, data)

    @staticmethod
    def reply(req, status, headers, data):
        req.send_response(status)
        for k, v in (headers.items() if isinstance(headers, dict) else headers):
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        if req.command != "HEAD" and data:
            req.wfile.write(data)


class RealN8nDeployments(SimulatedDeployments):
    """The deployment hook that runs real n8n (see the module docstring)."""

    def __init__(self, install, state_dir, ca, max_wait=None):
        super().__init__()
        self.install = install
        self.state_dir = Path(state_dir)
        self.workdir = self.state_dir / "n8n-runs"
        self.keys_dir = self.state_dir / "n8n-api-keys"
        self.ca = ca
        self.ca_file = ca.cert_path
        self.max_wait = float(max_wait or os.environ.get("APPPLATFORM_N8N_DEPLOY_TIMEOUT", 300))
        self.cert = ca.issue("n8n-ingress")
        self.runs = {}         # deployment id -> Run
        self.ingress = {}      # app id -> Ingress
        self.operators = {}    # app name -> {"owner_email", "owner_password", "api_key", "api_key_file", ...}
        self.lock = threading.RLock()

    # -- hook interface --------------------------------------------------------------------------
    def start(self, emu, app, deployment):
        spec = deployment["spec"]
        if not is_n8n_spec(spec):
            return super().start(emu, app, deployment)
        deployment["hook"] = {"real": True}
        ingress = self.ingress.get(app["id"])
        if ingress is None:
            ingress = self.ingress[app["id"]] = Ingress(self, *self.cert)
        app["default_ingress"] = ingress.url
        run = self._plan(emu, app, deployment, ingress)
        self.runs[deployment["id"]] = run
        run.thread = threading.Thread(target=self._boot, args=(run,), name="n8n-deploy-" + deployment["id"][:8],
                                      daemon=True)
        run.thread.start()
        return None

    def status(self, emu, app, deployment, now):
        run = self.runs.get(deployment["id"])
        if run is None:
            return super().status(emu, app, deployment, now)
        out = {"phase": run.phase, "since": run.since}
        if run.phase == "ERROR":
            out.update(failed_phase="DEPLOYING", failed_component=run.failed_component, reason=run.reason)
        if run.phase == "ACTIVE":
            out["health"] = {}
            for inst in run.instances:
                ok = inst.process is None or inst.process.running()
                if not ok or out["health"].get(inst.component) == "UNHEALTHY":
                    out["health"][inst.component] = "UNHEALTHY"
                else:
                    out["health"][inst.component] = "HEALTHY"
        return out

    def logs(self, emu, app, deployment, component, log_type):
        run = self.runs.get(deployment["id"])
        if run is None:
            return super().logs(emu, app, deployment, component, log_type)
        lines = []
        if log_type == "BUILD":
            for kind, comp in components(deployment["spec"]):
                if component in (None, comp["name"]):
                    image = comp.get("image") or {}
                    lines.append("{0} {1} [build] image {2}/{3}:{4}: played by the cached npm install of n8n {5} "
                                 "(Node {6})".format(now_iso(run.since), comp["name"], image.get("registry", ""),
                                                     image.get("repository"), image.get("tag"),
                                                     self.install.n8n_version, self.install.node_version))
            return lines
        if log_type == "DEPLOY":
            return ["{0} {1} [deploy] {2}".format(now_iso(ts), comp, text) for ts, comp, text in list(run.events)
                    if component in (None, comp)]
        for inst in run.instances:
            if component not in (None, inst.component) or inst.process is None:
                continue
            lines += ["{0} {1}".format(inst.name, line) for line in inst.process.log_text().splitlines() if line.strip()]
        return lines

    def stop(self, emu, app, deployment):
        run = self.runs.get(deployment["id"])
        if run is None:
            return None
        run.cancel.set()
        ingress = self.ingress.get(app["id"])
        if ingress is not None and ingress.run is run:
            ingress.run = None
        procs = run.processes()
        threading.Thread(target=runtime.stop_all, args=(procs,), kwargs={"grace": 20}, daemon=True).start()
        # the public route closes when none of the app's deployments runs any more
        if ingress is not None and not any(r.app_id == app["id"] and not r.cancel.is_set()
                                           for r in self.runs.values()):
            ingress.close()
            del self.ingress[app["id"]]
        return None

    def shutdown(self):
        """Sandbox stop: every process and public route goes."""
        procs = []
        for run in self.runs.values():
            run.cancel.set()
            procs += run.processes()
        runtime.stop_all(procs, grace=20)
        for ingress in self.ingress.values():
            ingress.close()
        self.ingress.clear()

    # -- spec -> processes -----------------------------------------------------------------------
    def _plan(self, emu, app, deployment, ingress):
        spec = deployment["spec"]
        instances = []
        for kind, comp in components(spec):
            if kind not in ("services", "workers"):
                continue
            for index in range(comp.get("instance_count") or 1):
                inst = Instance(kind, comp, index)
                # the ports it listens on
                for port in [comp.get("http_port")] + list(comp.get("internal_ports") or []):
                    if port:
                        inst.port(port)
                for check in (comp.get("health_check"), comp.get("liveness_health_check")):
                    if check and check.get("port"):
                        inst.port(check["port"])
                instances.append(inst)
        first = {i.component: i for i in instances if i.index == 0}
        binds = {"APP_URL": ingress.url, "APP_DOMAIN": ingress.url.split("://", 1)[1], "APP_ID": app["id"]}
        for name, inst in first.items():
            port = inst.comp.get("http_port") or (inst.comp.get("internal_ports") or [None])[0]
            if port:
                binds[name + ".PRIVATE_DOMAIN"] = "127.0.0.1"
                binds[name + ".PRIVATE_URL"] = "http://127.0.0.1:{0}".format(inst.port(port))
        binds.update(self._database_binds(emu, spec))
        app_envs = spec.get("envs") or []
        for inst in instances:
            env = {}
            for entry in list(app_envs) + list(inst.comp.get("envs") or []):
                if entry.get("scope") == "BUILD_TIME":
                    continue
                value = entry.get("value") or ""
                if entry.get("type") == "SECRET" and value.startswith("EV["):
                    value = decrypt(emu, value)
                env[entry["key"]] = value
            for key, value in env.items():
                value = BINDABLE.sub(lambda m: str(binds.get(m.group(1), m.group(0))), value)
                for name, other in first.items():
                    value = re.sub(r"(?<![A-Za-z0-9.-]){0}:(\d+)".format(re.escape(name)),
                                   lambda m, o=other: "127.0.0.1:{0}".format(o.port(m.group(1))), value)
                env[key] = value
            for key, default in LISTEN_KEYS.get(inst.role, {}).items():
                env[key] = str(inst.port(env.get(key) or default))
            env["NODE_EXTRA_CA_CERTS"] = self.ca_file
            inst.env = env
        serving = next((i.component for i in instances if i.comp.get("http_port")), None)
        return Run(self, app["id"], spec["name"], deployment["id"], instances, serving,
                   (spec.get("ingress") or {}).get("rules") or [])

    def _database_binds(self, emu, spec):
        binds = {}
        clusters = emu.store.get("databases", {})
        for db in spec.get("databases") or []:
            name = db["name"]
            cluster = next((c for c in clusters.values() if c.get("name") == db.get("cluster_name")), None)
            if cluster is None:
                continue
            if cluster["engine"] in ("pg", "advanced_pg") and emu.services.get("postgres"):
                pg = emu.services["postgres"]
                user = db.get("db_user") or cluster["_admin"]
                password = (cluster["_users"].get(user) or {}).get("password", "")
                database = db.get("db_name") or cluster["_default_db"]
                host, port = pg["host"], pg["port"]
                url = "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=require".format(user, password, host, port, database)
            elif emu.services.get("redis"):
                rd = emu.services["redis"]
                user, password, host, port, database = rd["user"], rd["password"], rd["host"], rd["port"], ""
                url = "rediss://{0}:{1}@{2}:{3}".format(user, password, host, port)
            else:
                continue
            binds.update({name + ".HOSTNAME": host, name + ".PORT": port, name + ".USERNAME": user,
                          name + ".PASSWORD": password, name + ".DATABASE": database, name + ".DATABASE_URL": url,
                          name + ".CA_CERT": self.ca.pem, name + ".JDBC_DATABASE_URL": ""})
        return binds

    # -- the boot thread -------------------------------------------------------------------------
    def _boot(self, run):
        try:
            self._boot_inner(run)
        except Exception as exc:  # never leave a deployment hanging
            inst = next((i for i in run.instances if not i.healthy), run.instances[0])
            run.fail(inst, "sandbox error: {0!r}".format(exc))

    def _boot_inner(self, run):
        run.workdir = self.workdir / run.deployment_id[:8]
        run.workdir.mkdir(parents=True, exist_ok=True)
        run.set_phase("DEPLOYING")
        first = [i for i in run.instances if i.image == "n8n" and i.role == "start"]
        rest = [i for i in run.instances if i not in first]
        for group in (first, rest):
            for inst in group:
                if run.cancel.is_set():
                    return
                self._start_instance(run, inst)
            for inst in group:
                if not self._wait_instance(run, inst):
                    return
        if run.cancel.is_set():
            return
        ingress = self.ingress.get(run.app_id)
        if ingress is not None:
            ingress.run = run
        self._hand_over(run, ingress)
        run.event(None, "all components healthy; deployment live")
        run.set_phase("ACTIVE")

    def _start_instance(self, run, inst):
        count = len(inst.comp.get("envs") or [])
        run.event(inst.component, "starting instance {0} ({1}, {2} envs, ports {3})".format(
            inst.name, " ".join(["n8n"] + inst.argv) if inst.image == "n8n" else "task-runner launcher", count,
            ", ".join("{0}->{1}".format(k, v) for k, v in sorted(inst.ports.items()))))
        if inst.image == "n8n":
            inst.process = runtime.start_n8n(self.install, inst.argv, inst.env, run.workdir, name=inst.name)
        elif inst.image == "runners":
            inst.process = runtime.start_launcher(self.install, inst.env, run.workdir, name=inst.name)

    def _wait_instance(self, run, inst):
        """Probe the instance's checks until all pass; False (and the run in ERROR) if they never do."""
        checks = inst.checks()
        budget = 0.0
        for check in checks:
            budget = max(budget, (check.get("initial_delay_seconds") or 0)
                         + (check.get("period_seconds") or 10) * (check.get("failure_threshold") or 3))
        deadline = time.monotonic() + min(self.max_wait, budget or self.max_wait)
        delay = 0.2
        last = "not probed"
        while not run.cancel.is_set():
            proc = inst.process
            if proc is not None and not proc.running():
                run.fail(inst, EXIT_REASON.format(inst.component, proc.popen.returncode))
                return False
            results = [self._probe(inst, c) for c in checks]
            failing = [r for r in results if r]
            if not failing:
                inst.healthy = True
                run.event(inst.component, "instance {0} passed its health checks ({1})".format(
                    inst.name, ", ".join(self._describe(inst, c) for c in checks) or "running"))
                return True
            last = failing[0]
            if time.monotonic() >= deadline:
                run.fail(inst, HEALTH_REASON.format(inst.component, last))
                return False
            run.cancel.wait(delay)
            delay = min(delay * 1.5, 2.0)
        return False

    @staticmethod
    def _describe(inst, check):
        port = check.get("port") or inst.comp.get("http_port")
        return "{0}{1}".format(port, check.get("http_path") or " tcp")

    @staticmethod
    def _probe(inst, check):
        """None when the check passes, else why not."""
        port = check.get("port") or inst.comp.get("http_port") or 8080
        host_port = inst.port(port)
        timeout = min(float(check.get("timeout_seconds") or 1), 5.0)
        path = check.get("http_path")
        if path:
            status = runtime.http_status("http://127.0.0.1:{0}{1}".format(host_port, path), timeout=timeout)
            if status is not None and 200 <= status < 400:
                return None
            return "GET :{0}{1} -> {2}".format(port, path, status if status is not None else "connection refused")
        try:
            with socket.create_connection(("127.0.0.1", host_port), timeout=timeout):
                return None
        except OSError as exc:
            return "tcp :{0} -> {1}".format(port, exc)

    # -- operator hand-over ----------------------------------------------------------------------
    def _hand_over(self, run, ingress):
        """Owner + API key through n8n's REST API after the app's first healthy deployment."""
        with self.lock:
            op = self.operators.get(run.app_name)
            if op is not None and op.get("api_key"):
                return
            main = next((i for i in run.instances if i.image == "n8n" and i.role == "start"), None)
            if main is None or ingress is None:
                return
            op = op or {"owner_email": "owner@{0}.sandbox.test".format(run.app_name),
                        "owner_password": "Sbx-" + secrets.token_urlsafe(12) + "9a"}
            op.update(app=run.app_name, url=ingress.url, error=None)
            self.operators[run.app_name] = op
            if main.env.get("N8N_INSTANCE_OWNER_MANAGED_BY_ENV") == "true":
                op["error"] = "the owner is managed by env (N8N_INSTANCE_OWNER_*): log in with it and create a key"
                return
            client = runtime.N8nClient(ingress.url, ssl_context=ssl.create_default_context(cafile=self.ca_file))
            try:
                key = client.bootstrap(op["owner_email"], op["owner_password"])
            except (RuntimeError, OSError) as exc:
                op["error"] = "owner/API key bootstrap failed: {0}".format(exc)
                run.event(main.component, op["error"])
                return
            self.keys_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.keys_dir, 0o700)
            path = self.keys_dir / (run.app_name + ".key")
            fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key + "\n")
            os.chmod(path, 0o600)
            op.update(api_key=key, api_key_file=str(path))
            run.event(main.component, "sandbox: n8n owner {0} and an API key created; key in {1}".format(
                op["owner_email"], path))

    def operator(self, app_name):
        with self.lock:
            op = self.operators.get(app_name)
            return dict(op) if op else None


@admin_route("/n8n/")
def n8n_operator(emu, request, app_name):
    """``GET /_sandbox/n8n/<app>``: the n8n owner and API key the sandbox created for an app."""
    hook = emu.hooks.get("deployment")
    op = hook.operator(app_name.strip("/")) if isinstance(hook, RealN8nDeployments) else None
    if op is None:
        return Response(json.dumps({"id": "not_found", "message": "no n8n hand-over for this app"}), status=404,
                        content_type="application/json")
    return Response(json.dumps(op), status=200, content_type="application/json")
