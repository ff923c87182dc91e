# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's core: routing, state, contract checks, fault injection, rate-limit headers, request log.

Resources live in ``resources/*.py`` and register their routes with :func:`route`, using the
spec's own path templates. A handler gets a :class:`Ctx` and returns ``(status, body)``; it raises
:class:`ApiError` for DigitalOcean-style errors (``{id, message, request_id}``).

Admin endpoints (not part of DigitalOcean's API, never validated against it) live under ``/_sandbox``.
"""

import importlib
import json
import os
import pkgutil
import random
import re
import threading
import time
import uuid
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .contract import SKIP_MESSAGE, Contract

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
NON_WRITES = {("POST", "/v2/apps/propose"), ("POST", "/v2/apps/{app_id}/rollback/validate")}
ROUTES = []
ADMIN_ROUTES = []  # (prefix, func): sandbox-only endpoints under /_sandbox that resources add (e.g. log files)

DEFAULT_DURATIONS = {
    # seconds an asynchronous transition takes; near zero in tests, seconds in the demo
    "database_create": 0.5,
    "database_resize": 0.5,
    "replica_create": 0.5,
    "deployment_phase": 0.3,
}

ERROR_IDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
             412: "precondition_failed", 422: "unprocessable_entity", 429: "too_many_requests",
             500: "server_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}
ERROR_MESSAGES = {404: "The resource you requested could not be found.", 429: "API rate limit exceeded.",
                  500: "Unexpected server-side error", 503: "Service is temporarily unavailable."}


class ApiError(Exception):
    def __init__(self, status, message=None, error_id=None):
        super().__init__(message)
        self.status = status
        self.message = message or ERROR_MESSAGES.get(status, "error")
        self.error_id = error_id or ERROR_IDS.get(status, "error")


def route(method, template):
    """Register a handler for ``METHOD template`` (a path template exactly as in the spec)."""
    pattern = "^" + re.sub(r"\{([^}]+)\}", r"(?P<\1>[^/]+)", template) + "$"

    def register(func):
        ROUTES.append((method, template, re.compile(pattern), func))
        return func

    return register


def admin_route(prefix):
    """Register ``func(emulator, request, rest)`` for ``/_sandbox<prefix>...``; it returns a werkzeug Response."""

    def register(func):
        ADMIN_ROUTES.append((prefix, func))
        return func

    return register


def load_resources():
    from . import resources

    for info in pkgutil.iter_modules(resources.__path__):
        importlib.import_module(resources.__name__ + "." + info.name)


def now_iso(ts=None):
    ts = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Ctx:
    """One request, as a handler sees it."""

    def __init__(self, emulator, method, path, template, params, query, body, base_url):
        self.emu = emulator
        self.method = method
        self.path = path
        self.template = template
        self.params = params
        self.query = query
        self.body = body if body is not None else {}
        self.base_url = base_url

    @property
    def store(self):
        return self.emu.store

    def table(self, name):
        return self.emu.store.setdefault(name, {})

    def paginate(self, items, key):
        """A DigitalOcean list body: the page of ``items``, ``links.pages`` and ``meta.total``."""
        page = int(self.query.get("page", 1))
        per_page = int(self.query.get("per_page", 20))
        total = len(items)
        last = max(1, (total + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]

        def url(n):
            return "{0}{1}?{2}".format(self.base_url, self.path, urlencode({"page": n, "per_page": per_page}))

        pages = {}
        if page > 1:
            pages["first"] = url(1)
            pages["prev"] = url(page - 1)
        if page < last:
            pages["next"] = url(page + 1)
            pages["last"] = url(last)
        return {key: chunk, "links": {"pages": pages}, "meta": {"total": total}}

    def require(self, table, key, what="resource"):
        item = self.table(table).get(key)
        if item is None:
            raise ApiError(404)
        return item


class Faults:
    """Injected failures. A rule matches by method and path regex and applies with a probability.

    Rule keys: ``method``, ``path`` (regex on the path), ``probability`` (default 1), ``times``
    (how many times it may fire; default unlimited), and one effect:
    ``status`` (answer this status without applying the request; ``retry_after`` adds the header),
    ``latency`` (seconds added before handling), or ``after_write`` (apply the request, then answer
    ``status``, default 500).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.rng = random.Random(0)
        self.fired = 0

    def set(self, rules, seed=0):
        with self.lock:
            self.rules = [dict(r) for r in (rules or [])]
            self.rng = random.Random(seed)
            self.fired = 0

    def pick(self, method, path, phase):
        with self.lock:
            for rule in self.rules:
                kind = "after" if rule.get("after_write") else ("latency" if "latency" in rule else "before")
                if kind != phase:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path") and not re.search(rule["path"], path):
                    continue
                if rule.get("times") is not None and rule["times"] <= 0:
                    continue
                if self.rng.random() >= float(rule.get("probability", 1.0)):
                    continue
                if rule.get("times") is not None:
                    rule["times"] -= 1
                self.fired += 1
                return rule
        return None


class Emulator:
    """The WSGI application."""

    def __init__(self, spec=None, durations=None, token=None, contract=None):
        load_resources()
        self.contract = contract or Contract(spec)
        self.lock = threading.RLock()
        self.store = {}
        self.log = []
        self.violations = []
        self.faults = Faults()
        self.durations = dict(DEFAULT_DURATIONS, **(durations or {}))
        self.token = token
        self.services = {}  # connection details of the sandbox's real servers (postgres, redis, s3)
        self.hooks = {}  # extension points (e.g. real n8n processes for deployments)
        self.rate = {"limit": 5000, "remaining": 5000, "reset": int(time.time()) + 3600}
        self.base_url = None
        if not self.contract.enabled:
            print(SKIP_MESSAGE, flush=True)

    # -- admin ------------------------------------------------------------------------------

    def reset(self, state=False):
        with self.lock:
            self.log = []
            self.violations = []
            self.faults.set([])
            if state:
                self.store = {}

    def writes(self, since=0):
        return [e for e in self.log[since:] if e["write"]]

    def _admin(self, request):
        path = request.path[len("/_sandbox"):]
        data = request.get_json(silent=True) or {}
        if path == "/health":
            return {"ok": True, "contract": self.contract.enabled}
        if path == "/log":
            return {"log": self.log[int(request.args.get("since", 0)):]}
        if path == "/violations":
            return {"violations": self.violations}
        if path == "/reset" and request.method == "POST":
            self.reset(state=bool(data.get("state")))
            return {"ok": True}
        if path == "/faults" and request.method == "POST":
            self.faults.set(data.get("rules"), seed=data.get("seed", 0))
            return {"ok": True}
        if path == "/durations" and request.method == "POST":
            self.durations.update(data)
            return {"durations": self.durations}
        if path == "/state":
            return {"tables": {k: len(v) for k, v in self.store.items()}}
        raise ApiError(404)

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.base_url is None:
            self.base_url = request.host_url.rstrip("/")
        if request.path.startswith("/_sandbox"):
            sub = request.path[len("/_sandbox"):]
            for prefix, func in ADMIN_ROUTES:
                if sub.startswith(prefix):
                    return func(self, request, sub[len(prefix):])(environ, start_response)
            try:
                body, status = self._admin(request), 200
            except ApiError as exc:
                body, status = {"id": exc.error_id, "message": exc.message}, exc.status
            return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)
        return self._api(request)(environ, start_response)

    def _match(self, method, path):
        for r_method, template, regex, func in ROUTES:
            if r_method != method:
                continue
            found = regex.match(path)
            if found:
                candidates = [(template, found.groupdict(), func)]
                # Prefer literal segments (/v2/apps/propose over /v2/apps/{id}), as the spec's path finder does.
                for other_method, other_template, other_regex, other_func in ROUTES:
                    if other_method == method and "{" not in other_template and other_regex.match(path):
                        return other_template, {}, other_func
                return candidates[0]
        return None

    def _api(self, request):
        started = time.time()
        method = request.method.upper()
        path = request.path
        request_id = str(uuid.uuid4())
        raw = request.get_data()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = request.args.to_dict(flat=True)
        headers = {k: v for k, v in request.headers.items()}
        match = self._match(method, path)
        template = match[0] if match else None
        write = method not in READ_METHODS and (method, template) not in NON_WRITES
        entry = {"method": method, "path": path, "template": template, "status": None, "write": write,
                 "applied": False, "fault": None, "request_id": request_id, "time": started}
        extra_headers = {}

        def finish(status, payload):
            entry["status"] = status
            entry["ms"] = round((time.time() - started) * 1000, 1)
            with self.lock:
                self.log.append(entry)
                rate = self.rate
                if time.time() > rate["reset"]:
                    rate.update(remaining=rate["limit"], reset=int(time.time()) + 3600)
                rate["remaining"] = max(0, rate["remaining"] - 1)
            out_headers = {"ratelimit-limit": str(self.rate["limit"]),
                           "ratelimit-remaining": str(self.rate["remaining"]),
                           "ratelimit-reset": str(self.rate["reset"]), "x-request-id": request_id}
            out_headers.update(extra_headers)
            data = json.dumps(payload).encode() if payload is not None else b""
            problem = self.contract.check_response(method, path, query, headers, body, status, out_headers, data)
            if problem and match:
                self._violation("response", method, path, status, problem)
            response = Response(data, status=status, headers=out_headers,
                                content_type="application/json" if payload is not None else None)
            return response

        def error(exc):
            return finish(exc.status, {"id": exc.error_id, "message": exc.message, "request_id": request_id})

        latency = self.faults.pick(method, path, "latency")
        if latency:
            time.sleep(float(latency["latency"]))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or (self.token and auth[7:] != self.token):
            return error(ApiError(401, "Unable to authenticate you."))
        fault = self.faults.pick(method, path, "before")
        if fault:
            entry["fault"] = "status {0}".format(fault.get("status", 503))
            if fault.get("retry_after") is not None:
                extra_headers["retry-after"] = str(fault["retry_after"])
            return error(ApiError(int(fault.get("status", 503))))
        if match is None:
            self._violation("unrouted", method, path, 404, "no emulated route for this request")
            return error(ApiError(404))
        problem = self.contract.check_request(method, path, query, headers, body)
        if problem:
            self._violation("request", method, path, 422, problem)
            return error(ApiError(422, "request payload validation failed: " + problem[:500]))
        template, params, func = match
        ctx = Ctx(self, method, path, template, params, query, body, self.base_url)
        try:
            with self.lock:
                status, payload = func(ctx)
        except ApiError as exc:
            return error(exc)
        entry["applied"] = write
        fault = self.faults.pick(method, path, "after") if write else None
        if fault:
            entry["fault"] = "after_write {0}".format(fault.get("status", 500))
            return error(ApiError(int(fault.get("status", 500))))
        return finish(status, payload)

    def _violation(self, kind, method, path, status, problem):
        with self.lock:
            self.violations.append({"kind": kind, "method": method, "path": path, "status": status,
                                    "problem": problem})


def new_id():
    return str(uuid.uuid4())


def env_durations():
    """Durations from ``$SANDBOX_DURATIONS`` (JSON), for the demo."""
    raw = os.environ.get("SANDBOX_DURATIONS")
    return json.loads(raw) if raw else {}
