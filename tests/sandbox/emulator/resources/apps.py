# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""App Platform (tag ``Apps``): /v2/apps*.

What the emulator does, and why (references are to ``shared/reference/do-openapi.json`` and
``do-api-notes.md`` §2.1/§6):

* **Validation** (``POST /v2/apps/propose``, create, update): the request schema is checked by the
  contract layer; :func:`validate_spec` adds the semantic rules the real service enforces and a schema
  cannot express. Errors are ``400 invalid_argument`` with a message naming the field (the wording is
  ours; DigitalOcean's exact texts are not published):
  duplicate component names (components and databases share one namespace: "unique across all
  components", ``app_database_spec.name``); exactly one source per component; ``tag`` xor ``digest``;
  ``registry`` empty for DOCR and required for DOCKER_HUB; ``instance_count`` not with ``autoscaling``
  ("must not be set if autoscaling is used"); ingress rules naming an unknown component; duplicate env
  keys in one list; production databases need ``cluster_name`` naming an existing managed cluster
  (``ctx.table("databases")``) of the same engine, and dev databases are PostgreSQL only; app-level
  alerts only for app events, component alerts only for component metrics; ``EV[...]`` values that
  this server did not produce.
* **Server-side defaults** added to the stored spec (proto3-style: defaults equal to the zero value,
  like ``disable_edge_cache: false``, are NOT echoed, as in the spec's ``app`` example):
  ``region`` ``nyc`` on create (kept on update); services/workers/jobs ``instance_size_slug``
  ``apps-s-1vcpu-0.5gb`` and ``instance_count`` 1 unless autoscaled (``app_component_instance_base``
  defaults); services ``http_port`` 8080 unless the service only has ``internal_ports``
  (``app_service_spec.http_port``: "Default: 8080"); ``image.tag`` ``latest`` without a digest
  (``apps_image_source_spec.tag`` default); every env ``scope`` ``RUN_AND_BUILD_TIME`` and ``type``
  ``GENERAL`` (``app_variable_definition`` defaults); without ``ingress``, rules generated from the
  deprecated service ``routes`` (which are then dropped), or a ``/`` rule for the first public
  service (the spec's example returns ``routes: [{path: /}]`` for such apps; today's API returns
  the equivalent ingress rule).
* **Secrets**: SECRET env values and ``image.registry_credentials`` are encrypted on submission into
  ``EV[1:<nonce>:<ciphertext>]`` (AES-GCM, random nonce, a key only this emulator knows): encrypting
  the same value twice gives different ciphertexts, so a client can never tell from the ciphertext
  whether a value changed, exactly as with the real API. Re-submitting an ``EV[...]`` keeps the value.
* **Deployments**: every create/update (and ``POST .../deployments``, rollback) starts one. Its phase
  is computed lazily on read by the deployment hook ``emu.hooks["deployment"]`` (see
  :class:`SimulatedDeployments`, the default: PENDING_BUILD → BUILDING → DEPLOYING → ACTIVE, each
  ``durations["deployment_phase"]`` seconds; an image tag in ``failing_tags`` ends in ERROR). A newer
  deployment supersedes older ones (in-progress ones when it is created, active ones when it becomes
  ACTIVE). The issue-7 hook (real n8n processes) implements the same three methods.
* **Logs** are served through URLs (``historic_urls``) under ``/_sandbox/logs/<token>``: unguessable,
  unauthenticated links like the real pre-signed ones; the content is produced when fetched.
* **Rollback**: validate (``valid``/``error``/``warnings``), rollback (pinned unless ``skip_pin``),
  commit (unpin), revert (redeploy the spec from before the rollback).
"""

import base64
import copy
import os
import re
import secrets
import time

from werkzeug.wrappers import Response

from ..core import ApiError, admin_route, new_id, now_iso, route

COMPONENT_KINDS = ("services", "workers", "jobs", "static_sites", "functions")
COMPUTE_KINDS = ("services", "workers", "jobs")
SOURCES = ("git", "github", "gitlab", "bitbucket", "image")
DEFAULT_SIZE = "apps-s-1vcpu-0.5gb"
DEFAULT_REGION = "nyc"
EV = re.compile(r"^EV\[1:([A-Za-z0-9_-]+={0,2}):([A-Za-z0-9_-]+={0,2})\]$")
TERMINAL = ("ACTIVE", "ERROR", "CANCELED", "SUPERSEDED")
APP_ALERT_RULES = ("DEPLOYMENT_FAILED", "DEPLOYMENT_LIVE", "DEPLOYMENT_STARTED", "DEPLOYMENT_CANCELED", "DOMAIN_FAILED",
                   "DOMAIN_LIVE")
COMPONENT_ALERT_RULES = ("CPU_UTILIZATION", "MEM_UTILIZATION", "RESTART_COUNT", "REQUESTS_PER_SECOND",
                         "REQUEST_DURATION_P95_MS", "AUTOSCALE_FAILED", "AUTOSCALE_SUCCEEDED", "JOB_INVOCATION_FAILED")
DB_ENGINES = {"PG": "pg", "MYSQL": "mysql", "REDIS": "redis", "VALKEY": "valkey", "MONGODB": "mongodb",
              "KAFKA": "kafka", "OPENSEARCH": "opensearch"}
# Monthly USD per instance (public price list, rounded; only used for app_cost).
PRICES = {"apps-s-1vcpu-0.5gb": 5, "apps-s-1vcpu-1gb-fixed": 10, "apps-s-1vcpu-1gb": 12, "apps-s-1vcpu-2gb": 25,
          "apps-s-2vcpu-4gb": 50, "apps-d-1vcpu-0.5gb": 29, "apps-d-1vcpu-1gb": 34, "apps-d-1vcpu-2gb": 39,
          "apps-d-1vcpu-4gb": 49, "apps-d-2vcpu-4gb": 78, "apps-d-2vcpu-8gb": 98, "apps-d-4vcpu-8gb": 156,
          "apps-d-4vcpu-16gb": 196, "apps-d-8vcpu-32gb": 392}
REGIONS = {"nyc": ("New York", "usa", "North America", ["nyc1", "nyc3"]),
           "fra": ("Frankfurt", "germany", "Europe", ["fra1"]), "ams": ("Amsterdam", "netherlands", "Europe", ["ams3"]),
           "lon": ("London", "uk", "Europe", ["lon1"]), "sfo": ("San Francisco", "usa", "North America", ["sfo3"]),
           "tor": ("Toronto", "canada", "North America", ["tor1"]), "atl": ("Atlanta", "usa", "North America", ["atl1"]),
           "blr": ("Bangalore", "india", "Asia", ["blr1"]), "sgp": ("Singapore", "singapore", "Asia", ["sgp1"]),
           "syd": ("Sydney", "australia", "Australia", ["syd1"])}


def invalid(message):
    return ApiError(400, message, "invalid_argument")


# -- secrets ------------------------------------------------------------------------------------


def _aead(emu):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = getattr(emu, "_apps_secret_key", None)
    if key is None:
        key = emu._apps_secret_key = os.urandom(32)
    return AESGCM(key)


def encrypt(emu, plaintext):
    nonce = os.urandom(12)
    data = _aead(emu).encrypt(nonce, plaintext.encode(), b"app-secret")
    return "EV[1:{0}:{1}]".format(base64.urlsafe_b64encode(nonce).decode(), base64.urlsafe_b64encode(data).decode())


def decrypt(emu, value):
    """The plaintext of an ``EV[...]`` this emulator produced (for hooks that run real processes)."""
    found = EV.match(value or "")
    if not found:
        raise ValueError("not an encrypted value")
    nonce, data = (base64.urlsafe_b64decode(p) for p in found.groups())
    return _aead(emu).decrypt(nonce, data, b"app-secret").decode()


def _seal(emu, value, what):
    if value is None or value == "":
        return value
    if value.startswith("EV["):
        try:
            decrypt(emu, value)
        except Exception:
            raise invalid("{0}: the encrypted value cannot be decrypted; submit the plaintext value".format(what))
        return value
    return encrypt(emu, value)


# -- spec helpers -------------------------------------------------------------------------------


def components(spec):
    for kind in COMPONENT_KINDS:
        for comp in spec.get(kind) or []:
            yield kind, comp


def env_lists(spec):
    yield "app", spec.get("envs") or []
    for kind, comp in components(spec):
        yield "{0} {1!r}".format(kind[:-1], comp.get("name")), comp.get("envs") or []


def validate_spec(ctx, spec):
    names = {}
    for kind, comp in components(spec):
        name = comp.get("name")
        if name in names:
            raise invalid("spec.{0}: duplicate component name {1!r}: component and database names must be unique "
                          "within an app".format(kind, name))
        names[name] = kind
        if kind in ("services", "workers", "jobs", "static_sites"):
            sources = [s for s in SOURCES if comp.get(s)]
            if len(sources) != 1:
                raise invalid("spec.{0}[{1}]: exactly one source (git, github, gitlab, bitbucket or image) is required, "
                              "got {2}".format(kind, name, len(sources)))
        image = comp.get("image") or {}
        if image:
            if image.get("tag") and image.get("digest"):
                raise invalid("spec.{0}[{1}].image: tag and digest cannot both be set".format(kind, name))
            if image.get("registry_type") == "DOCR" and image.get("registry"):
                raise invalid("spec.{0}[{1}].image.registry must be empty for registry type DOCR".format(kind, name))
            if image.get("registry_type") in ("DOCKER_HUB", "GHCR") and not image.get("registry"):
                raise invalid("spec.{0}[{1}].image.registry is required for registry type {2}".format(
                    kind, name, image["registry_type"]))
            if not image.get("registry_type") or not image.get("repository"):
                raise invalid("spec.{0}[{1}].image: registry_type and repository are required".format(kind, name))
        if comp.get("autoscaling") and comp.get("instance_count") is not None:
            raise invalid("spec.{0}[{1}]: instance_count must not be set when autoscaling is used".format(kind, name))
        for alert in comp.get("alerts") or []:
            if alert.get("rule") not in COMPONENT_ALERT_RULES:
                raise invalid("spec.{0}[{1}].alerts: rule {2} is not a component alert rule".format(
                    kind, name, alert.get("rule")))
    for alert in spec.get("alerts") or []:
        if alert.get("rule") not in APP_ALERT_RULES:
            raise invalid("spec.alerts: rule {0} is not an app-level alert rule".format(alert.get("rule")))
    clusters = ctx.table("databases")
    for db in spec.get("databases") or []:
        name = db.get("name")
        if name in names:
            raise invalid("spec.databases: duplicate component name {0!r}: component and database names must be "
                          "unique within an app".format(name))
        names[name] = "databases"
        engine = db.get("engine") or "UNSET"
        if db.get("production"):
            if not db.get("cluster_name"):
                raise invalid("spec.databases[{0}]: cluster_name is required for production databases".format(name))
            found = [c for c in clusters.values() if c.get("name") == db["cluster_name"]]
            if not found:
                raise invalid("spec.databases[{0}]: database cluster {1!r} not found".format(name, db["cluster_name"]))
            if engine != "UNSET" and found[0].get("engine") != DB_ENGINES.get(engine):
                raise invalid("spec.databases[{0}]: cluster {1!r} is a {2} cluster, not {3}".format(
                    name, db["cluster_name"], found[0].get("engine"), engine))
        elif engine not in ("PG", "UNSET"):
            raise invalid("spec.databases[{0}]: dev databases support only the PG engine; set production: true and "
                          "cluster_name for {1}".format(name, engine))
    routable = {n for n, k in names.items() if k in ("services", "static_sites", "functions")}
    for index, rule in enumerate((spec.get("ingress") or {}).get("rules") or []):
        target = (rule.get("component") or {}).get("name")
        if target is not None and target not in routable:
            raise invalid("spec.ingress.rules[{0}].component.name: unknown component {1!r}".format(index, target))
        if rule.get("component") and rule.get("redirect"):
            raise invalid("spec.ingress.rules[{0}]: component and redirect are mutually exclusive".format(index))
    for where, envs in env_lists(spec):
        keys = [e.get("key") for e in envs]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise invalid("{0} envs: duplicate key {1}".format(where, duplicates[0]))


def with_defaults(ctx, spec, current=None):
    """The spec as the server stores and returns it: defaults added, secrets encrypted."""
    spec = copy.deepcopy(spec)
    emu = ctx.emu
    if not spec.get("region"):
        spec["region"] = (current or {}).get("region") or DEFAULT_REGION
    for where, envs in env_lists(spec):
        for env in envs:
            env.setdefault("scope", "RUN_AND_BUILD_TIME")
            env.setdefault("type", "GENERAL")
            if env["type"] == "SECRET":
                env["value"] = _seal(emu, env.get("value"), "{0} env {1}".format(where, env["key"]))
    for kind, comp in components(spec):
        if kind in COMPUTE_KINDS:
            comp.setdefault("instance_size_slug", DEFAULT_SIZE)
            if not comp.get("autoscaling"):
                comp.setdefault("instance_count", 1)
        if kind == "services" and "http_port" not in comp and not comp.get("internal_ports"):
            comp["http_port"] = 8080
        image = comp.get("image")
        if image:
            if not image.get("tag") and not image.get("digest"):
                image["tag"] = "latest"
            if image.get("registry_credentials"):
                image["registry_credentials"] = _seal(emu, image["registry_credentials"],
                                                      "{0} {1} image.registry_credentials".format(kind, comp["name"]))
    if not (spec.get("ingress") or {}).get("rules"):
        rules = []
        for comp in spec.get("services") or []:
            for r in comp.pop("routes", None) or []:
                rule = {"match": {"path": {"prefix": r.get("path") or "/"}}, "component": {"name": comp["name"]}}
                if r.get("preserve_path_prefix"):
                    rule["component"]["preserve_path_prefix"] = True
                rules.append(rule)
        if not rules:
            public = [c for c in spec.get("services") or [] if c.get("http_port")]
            if public:
                rules.append({"match": {"path": {"prefix": "/"}}, "component": {"name": public[0]["name"]}})
        if rules:
            spec.setdefault("ingress", {})["rules"] = rules
    return spec


def app_cost(spec):
    total = 0
    for kind, comp in components(spec):
        if kind in COMPUTE_KINDS:
            count = comp.get("instance_count") or (comp.get("autoscaling") or {}).get("min_instance_count") or 1
            total += PRICES.get(comp.get("instance_size_slug", DEFAULT_SIZE), 5) * count
    total += 7 * sum(1 for db in spec.get("databases") or [] if not db.get("production"))
    return total


# -- the deployment lifecycle -------------------------------------------------------------------


class SimulatedDeployments:
    """The default deployment hook: a timeline computed from timestamps, no processes.

    A hook has three methods, all called with the emulator lock held:

    * ``start(emu, app, deployment)`` when a deployment is created (``deployment["spec"]`` holds
      encrypted secrets: :func:`decrypt` gives the plaintext);
    * ``status(emu, app, deployment, now)`` → dict ``phase`` (PENDING_BUILD, BUILDING, DEPLOYING,
      ACTIVE or ERROR), ``since`` (epoch seconds the phase began), and for ERROR ``failed_phase``
      (BUILDING or DEPLOYING), ``failed_component`` and ``reason``; optional ``health``
      ``{component: HEALTHY|UNHEALTHY|UNKNOWN}``;
    * ``logs(emu, app, deployment, component, log_type)`` → list of lines (``component`` None = all);
    * ``stop(emu, app, deployment)`` when a deployment is superseded, canceled or its app deleted.

    Knobs: ``failing_tags`` (image tags whose deployments fail), ``fail_phase`` (where they fail:
    ``DEPLOYING`` — the container exits — or ``BUILDING``), also settable through
    ``POST /_sandbox/apps/deployments`` ``{"failing_tags": [...], "fail_phase": ...}``.
    """

    PHASES = ("PENDING_BUILD", "BUILDING", "DEPLOYING")

    def __init__(self):
        self.failing_tags = set()
        self.fail_phase = "DEPLOYING"

    def start(self, emu, app, deployment):
        deployment["hook"] = {"fail": self._failing_component(deployment["spec"]), "fail_phase": self.fail_phase}

    def _failing_component(self, spec):
        for kind, comp in components(spec):
            if (comp.get("image") or {}).get("tag") in self.failing_tags:
                return comp["name"]
        return None

    def status(self, emu, app, deployment, now):
        step = float(emu.durations.get("deployment_phase", 0.3))
        start = deployment["created_ts"]
        elapsed = now - start
        failing = deployment["hook"]["fail"]
        fail_phase = deployment["hook"]["fail_phase"]
        for index, phase in enumerate(self.PHASES):
            end = start + (index + 1) * step
            if failing and phase == fail_phase and now >= end:
                return {"phase": "ERROR", "since": end, "failed_phase": phase, "failed_component": failing,
                        "reason": self._reason(phase, failing)}
            if elapsed < (index + 1) * step:
                return {"phase": phase, "since": start + index * step}
        return {"phase": "ACTIVE", "since": start + len(self.PHASES) * step,
                "health": {name: "HEALTHY" for _, name in _names(deployment["spec"])}}

    @staticmethod
    def _reason(phase, component):
        if phase == "BUILDING":
            return "Component {0} failed to build: the image could not be pulled".format(component)
        return ("Your deploy failed because your container exited with a non-zero exit code. Component {0} "
                "failed its health checks".format(component))

    def logs(self, emu, app, deployment, component, log_type):
        status = deployment.get("final") or self.status(emu, app, deployment, time.time())
        lines = []
        for kind, comp in components(deployment["spec"]):
            name = comp["name"]
            if component not in (None, name):
                continue
            image = comp.get("image") or {}
            ref = "{0}/{1}:{2}".format(image.get("registry", ""), image.get("repository", ""),
                                       image.get("tag") or image.get("digest") or "")
            failed = status.get("failed_component") == name
            stamp = now_iso(deployment["created_ts"])
            if log_type == "BUILD":
                lines += ["{0} {1} [build] pulling image {2}".format(stamp, name, ref)]
                if failed and status.get("failed_phase") == "BUILDING":
                    lines += ["{0} {1} [build] error: manifest for {2} not found".format(stamp, name, ref),
                              "{0} {1} [build] ! build failed".format(stamp, name)]
                else:
                    lines += ["{0} {1} [build] image {2} ready (no build needed for image sources)".format(stamp, name,
                                                                                                     ref)]
            elif log_type == "DEPLOY":
                lines += ["{0} {1} [deploy] starting {2} instance(s)".format(stamp, name, comp.get("instance_count", 1))]
                if failed and status.get("failed_phase") == "DEPLOYING":
                    lines += ["{0} {1} [deploy] health check failed: connection refused".format(stamp, name),
                              "{0} {1} [deploy] ERROR component {1} failed to deploy".format(stamp, name)]
                elif status.get("phase") == "ACTIVE":
                    lines += ["{0} {1} [deploy] health checks passed".format(stamp, name)]
            elif log_type in ("RUN", "RUN_RESTARTED"):
                if failed and status.get("failed_phase") == "DEPLOYING":
                    lines += ["{0} {1} Initializing {1}".format(stamp, name),
                              "{0} {1} Error: simulated failure for image tag {2}".format(stamp, name, image.get("tag")),
                              "{0} {1} process exited with code 1".format(stamp, name)]
                elif status.get("phase") == "ACTIVE":
                    port = comp.get("http_port")
                    lines += ["{0} {1} Initializing {1}".format(stamp, name)]
                    lines += ["{0} {1} listening on port {2}".format(stamp, name, port)] if port else []
        return lines

    def stop(self, emu, app, deployment):
        return None


def deployment_hook(emu):
    return emu.hooks.setdefault("deployment", SimulatedDeployments())


def _names(spec):
    return [(kind, comp["name"]) for kind, comp in components(spec)]


def _steps(kind_names, status):
    phase = status["phase"]
    failed_phase = status.get("failed_phase")
    order = ("PENDING_BUILD", "BUILDING", "DEPLOYING", "ACTIVE")

    def state(stage):
        # stage: BUILDING or DEPLOYING
        if phase == "ERROR":
            if stage == failed_phase:
                return "ERROR"
            return "SUCCESS" if order.index(stage) < order.index(failed_phase) else "PENDING"
        if phase in ("CANCELED", "SUPERSEDED"):
            return "PENDING"
        current = order.index(phase) if phase in order else 3
        target = order.index(stage)
        return "SUCCESS" if current > target else ("RUNNING" if current == target else "PENDING")

    def component_steps(stage, message):
        out = []
        for kind, name in kind_names:
            step_status = state(stage)
            if step_status == "ERROR" and name != status.get("failed_component"):
                step_status = "SUCCESS"
            step = {"name": name, "status": step_status, "component_name": name,
                    "message_base": "{0} {1}".format(message, kind[:-1].replace("_", " "))}
            if step_status == "ERROR":
                step["reason"] = {"code": "DeployContainerExitNonZero" if stage == "DEPLOYING" else "BuildJobFailed",
                                  "message": status.get("reason", "")}
            out.append(step)
        return out

    build = {"name": "build", "status": state("BUILDING"),
             "steps": [{"name": "initialize", "status": "SUCCESS" if state("BUILDING") != "PENDING" else "PENDING"},
                       {"name": "components", "status": state("BUILDING"),
                        "steps": component_steps("BUILDING", "Building")}]}
    deploy = {"name": "deploy", "status": state("DEPLOYING"),
              "steps": [{"name": "initialize", "status": "SUCCESS" if state("DEPLOYING") != "PENDING" else "PENDING"},
                        {"name": "components", "status": state("DEPLOYING"),
                         "steps": component_steps("DEPLOYING", "Deploying")},
                        {"name": "finalize", "status": "SUCCESS" if phase == "ACTIVE" else "PENDING"}]}
    steps = [build, deploy]
    flat = [build, deploy]
    counts = {s: sum(1 for x in flat if x["status"] == s) for s in ("SUCCESS", "ERROR", "PENDING", "RUNNING")}
    return {"steps": steps, "total_steps": len(flat), "success_steps": counts["SUCCESS"],
            "error_steps": counts["ERROR"], "pending_steps": counts["PENDING"], "running_steps": counts["RUNNING"],
            "summary_steps": [{"name": s["name"], "status": s["status"]} for s in flat]}


def _deployments_of(ctx, app_id):
    return sorted((d for d in ctx.table("app_deployments").values() if d["app_id"] == app_id),
                  key=lambda d: (d["created_ts"], d["seq"]))


def refresh(ctx, app):
    """Bring every deployment of ``app`` (and the app's active deployment) up to date."""
    hook = deployment_hook(ctx.emu)
    now = time.time()
    deps = _deployments_of(ctx, app["id"])
    for index, dep in enumerate(deps):
        if dep.get("final"):
            continue
        status = hook.status(ctx.emu, app, dep, now)
        newer = deps[index + 1] if index + 1 < len(deps) else None
        cuts = []
        if dep.get("canceled_ts"):
            cuts.append((dep["canceled_ts"], "CANCELED"))
        if newer is not None:
            cuts.append((newer["created_ts"], "SUPERSEDED"))
        if cuts:
            cut_ts, cut_phase = min(cuts)
            if status["phase"] not in ("ACTIVE", "ERROR") or cut_ts < status["since"]:
                status = {"phase": cut_phase, "since": cut_ts}
        dep["status"] = status
        if status["phase"] == "ACTIVE":
            dep["was_active"] = True
        if status["phase"] in ("ERROR", "CANCELED", "SUPERSEDED"):
            dep["final"] = status
            hook.stop(ctx.emu, app, dep)
    active = [d for d in deps if d["status"]["phase"] == "ACTIVE"]
    if active:
        latest = max(active, key=lambda d: (d["status"]["since"], d["seq"]))
        for dep in active:
            if dep is not latest:
                dep["status"] = dep["final"] = {"phase": "SUPERSEDED", "since": latest["status"]["since"]}
                hook.stop(ctx.emu, app, dep)
        app["active_deployment_id"] = latest["id"]


def render_deployment(dep):
    status = dep["status"]
    kind_names = _names(dep["spec"])
    body = {"id": dep["id"], "spec": dep["spec"], "phase": status["phase"], "cause": dep["cause"],
            "phase_last_updated_at": now_iso(status["since"]), "created_at": now_iso(dep["created_ts"]),
            "updated_at": now_iso(max(status["since"], dep["created_ts"])), "tier_slug": "basic",
            "progress": _steps(kind_names, status)}
    if dep.get("cloned_from"):
        body["cloned_from"] = dep["cloned_from"]
    for kind in ("services", "workers", "jobs", "static_sites"):
        items = [{"name": c["name"], "source_commit_hash": ""} for c in dep["spec"].get(kind) or []]
        if items:
            body[kind] = items
    return body


def new_deployment(ctx, app, cause, spec=None, cloned_from=None, force_build=False):
    table = ctx.table("app_deployments")
    dep = {"id": new_id(), "app_id": app["id"], "spec": copy.deepcopy(spec or app["spec"]), "cause": cause,
           "created_ts": time.time(), "seq": len(table), "force_build": force_build, "status": None, "final": None}
    if cloned_from:
        dep["cloned_from"] = cloned_from
    table[dep["id"]] = dep
    deployment_hook(ctx.emu).start(ctx.emu, app, dep)
    app["last_deployment_ts"] = dep["created_ts"]
    refresh(ctx, app)
    return dep


def render_app(ctx, app, pending=None):
    refresh(ctx, app)
    region = app["spec"].get("region", DEFAULT_REGION)
    label, flag, continent, dcs = REGIONS.get(region, REGIONS[DEFAULT_REGION])
    body = {"id": app["id"], "owner_uuid": app["owner_uuid"], "spec": app["spec"],
            "default_ingress": app["default_ingress"], "created_at": app["created_at"],
            "updated_at": app["updated_at"], "last_deployment_created_at": now_iso(app["last_deployment_ts"]),
            "region": {"slug": region, "label": label, "flag": flag, "continent": continent, "data_centers": dcs},
            "tier_slug": "basic", "project_id": app["project_id"]}
    deps = {d["id"]: d for d in _deployments_of(ctx, app["id"])}
    active = deps.get(app.get("active_deployment_id"))
    if active is not None:
        body["active_deployment"] = render_deployment(active)
        body["live_url"] = body["live_url_base"] = app["default_ingress"]
        body["live_domain"] = app["default_ingress"].split("://", 1)[1]
    in_progress = [d for d in deps.values() if d["status"]["phase"] not in TERMINAL]
    if in_progress:
        body["in_progress_deployment"] = render_deployment(in_progress[-1])
    if pending is not None:
        body["pending_deployment"] = render_deployment(pending)
    if app.get("pinned_deployment_id") in deps:
        body["pinned_deployment"] = render_deployment(deps[app["pinned_deployment_id"]])
    return body


def sync_alerts(ctx, app):
    """Alerts follow the spec: one per (component, rule); ids and destinations survive updates."""
    table = ctx.table("app_alerts")
    existing = {(a["component_name"], a["spec"]["rule"]): a for a in table.values() if a["app_id"] == app["id"]}
    wanted = [("", a) for a in app["spec"].get("alerts") or []]
    for _, comp in components(app["spec"]):
        wanted += [(comp["name"], a) for a in comp.get("alerts") or []]
    keep = set()
    for component, spec in wanted:
        key = (component, spec.get("rule"))
        alert = existing.get(key)
        if alert is None:
            alert = {"id": new_id(), "app_id": app["id"], "component_name": component, "emails": [],
                     "slack_webhooks": []}
            table[alert["id"]] = alert
        alert["spec"] = copy.deepcopy(spec)
        keep.add(alert["id"])
    for alert in list(existing.values()):
        if alert["id"] not in keep:
            del table[alert["id"]]


def render_alert(alert):
    body = {"id": alert["id"], "spec": alert["spec"], "emails": alert["emails"],
            "slack_webhooks": alert["slack_webhooks"], "phase": "ACTIVE",
            "progress": {"steps": [{"name": "configure", "status": "SUCCESS"}]}}
    if alert["component_name"]:
        body["component_name"] = alert["component_name"]
    return body


# -- routes -------------------------------------------------------------------------------------


def _require_app(ctx, key="app_id"):
    return ctx.require("apps", ctx.params[key])


def _name_taken(ctx, name, app_id=None):
    return any(a["spec"]["name"] == name and a["id"] != app_id for a in ctx.table("apps").values())


@route("POST", "/v2/apps/propose")
def propose(ctx):
    app_id = ctx.body.get("app_id")
    current = None
    if app_id:
        current = ctx.require("apps", app_id)["spec"]
    spec = ctx.body["spec"]
    validate_spec(ctx, spec)
    normalized = with_defaults(ctx, spec, current)
    available = not _name_taken(ctx, spec["name"], app_id)
    body = {"spec": normalized, "app_cost": app_cost(normalized), "app_is_static": False,
            "app_name_available": available, "existing_static_apps": "0"}
    if not available:
        body["app_name_suggestion"] = "{0}-{1}".format(spec["name"][:25], secrets.token_hex(2))
    return 200, body


@route("GET", "/v2/apps")
def list_apps(ctx):
    apps = sorted(ctx.table("apps").values(), key=lambda a: (a["created_at"], a["id"]))
    return 200, ctx.paginate([render_app(ctx, a) for a in apps], "apps")


@route("POST", "/v2/apps")
def create_app(ctx):
    spec = ctx.body["spec"]
    validate_spec(ctx, spec)
    if _name_taken(ctx, spec["name"]):
        raise ApiError(409, "an app with the name {0!r} already exists".format(spec["name"]), "conflict")
    app_id = new_id()
    app = {"id": app_id, "owner_uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
           "spec": with_defaults(ctx, spec), "created_at": now_iso(), "updated_at": now_iso(),
           "default_ingress": "https://{0}-{1}.ondigitalocean.app".format(spec["name"], secrets.token_hex(3)[:5]),
           "project_id": ctx.body.get("project_id") or "00000000-0000-4000-8000-000000000000"}
    ctx.table("apps")[app_id] = app
    sync_alerts(ctx, app)
    dep = new_deployment(ctx, app, "initial deployment")
    return 200, {"app": render_app(ctx, app, pending=dep)}


@route("GET", "/v2/apps/{id}")
def get_app(ctx):
    if ctx.query.get("name"):
        found = [a for a in ctx.table("apps").values() if a["spec"]["name"] == ctx.query["name"]]
        if not found:
            raise ApiError(404)
        return 200, {"app": render_app(ctx, found[0])}
    return 200, {"app": render_app(ctx, _require_app(ctx, "id"))}


@route("PUT", "/v2/apps/{id}")
def update_app(ctx):
    app = _require_app(ctx, "id")
    spec = ctx.body["spec"]
    validate_spec(ctx, spec)
    if _name_taken(ctx, spec["name"], app["id"]):
        raise ApiError(409, "an app with the name {0!r} already exists".format(spec["name"]), "conflict")
    if app.get("pinned_deployment_id"):
        raise invalid("the app is pinned to a rollback deployment: commit or revert the rollback first")
    app["spec"] = with_defaults(ctx, spec, app["spec"])
    app["updated_at"] = now_iso()
    sync_alerts(ctx, app)
    dep = new_deployment(ctx, app, "app spec updated")
    return 200, {"app": render_app(ctx, app, pending=dep)}


@route("DELETE", "/v2/apps/{id}")
def delete_app(ctx):
    app = _require_app(ctx, "id")
    hook = deployment_hook(ctx.emu)
    for dep in _deployments_of(ctx, app["id"]):
        hook.stop(ctx.emu, app, dep)
        del ctx.table("app_deployments")[dep["id"]]
    for alert in [a for a in ctx.table("app_alerts").values() if a["app_id"] == app["id"]]:
        del ctx.table("app_alerts")[alert["id"]]
    del ctx.table("apps")[app["id"]]
    return 200, {"id": app["id"]}


@route("GET", "/v2/apps/{app_id}/deployments")
def list_deployments(ctx):
    app = _require_app(ctx)
    refresh(ctx, app)
    deps = [render_deployment(d) for d in reversed(_deployments_of(ctx, app["id"]))]
    return 200, ctx.paginate(deps, "deployments")


@route("POST", "/v2/apps/{app_id}/deployments")
def create_deployment(ctx):
    app = _require_app(ctx)
    if app.get("pinned_deployment_id"):
        raise invalid("the app is pinned to a rollback deployment: commit or revert the rollback first")
    dep = new_deployment(ctx, app, "manual" + (" (force build)" if ctx.body.get("force_build") else ""),
                         force_build=bool(ctx.body.get("force_build")))
    return 200, {"deployment": render_deployment(dep)}


def _require_deployment(ctx, app):
    dep = ctx.table("app_deployments").get(ctx.params["deployment_id"])
    if dep is None or dep["app_id"] != app["id"]:
        raise ApiError(404)
    return dep


@route("GET", "/v2/apps/{app_id}/deployments/{deployment_id}")
def get_deployment(ctx):
    app = _require_app(ctx)
    dep = _require_deployment(ctx, app)
    refresh(ctx, app)
    return 200, {"deployment": render_deployment(dep)}


@route("POST", "/v2/apps/{app_id}/deployments/{deployment_id}/cancel")
def cancel_deployment(ctx):
    app = _require_app(ctx)
    dep = _require_deployment(ctx, app)
    refresh(ctx, app)
    if dep["status"]["phase"] in TERMINAL:
        raise invalid("deployment {0} is {1} and cannot be canceled".format(dep["id"], dep["status"]["phase"]))
    dep["canceled_ts"] = time.time()
    refresh(ctx, app)
    return 200, {"deployment": render_deployment(dep)}


# -- logs ---------------------------------------------------------------------------------------


def _logs(ctx, app, dep, component):
    if component is not None and component not in [n for _, n in _names(dep["spec"])]:
        raise ApiError(404)
    log_type = ctx.query.get("type") or "UNSPECIFIED"
    if log_type == "UNSPECIFIED":
        log_type = "RUN"
    token = secrets.token_urlsafe(24)
    ctx.table("app_log_links")[token] = {"app_id": app["id"], "deployment_id": dep["id"], "component": component,
                                         "type": log_type, "expires": time.time() + 900}
    url = "{0}/_sandbox/logs/{1}".format(ctx.base_url, token)
    body = {"historic_urls": [url]}
    if str(ctx.query.get("follow", "")).lower() == "true":
        body["live_url"] = url
    return 200, body


def _active(ctx, app):
    refresh(ctx, app)
    dep = ctx.table("app_deployments").get(app.get("active_deployment_id") or "")
    if dep is None:
        raise ApiError(404, "the app has no active deployment")
    return dep


@route("GET", "/v2/apps/{app_id}/deployments/{deployment_id}/components/{component_name}/logs")
def deployment_component_logs(ctx):
    app = _require_app(ctx)
    return _logs(ctx, app, _require_deployment(ctx, app), ctx.params["component_name"])


@route("GET", "/v2/apps/{app_id}/deployments/{deployment_id}/logs")
def deployment_logs(ctx):
    app = _require_app(ctx)
    return _logs(ctx, app, _require_deployment(ctx, app), None)


@route("GET", "/v2/apps/{app_id}/components/{component_name}/logs")
def active_component_logs(ctx):
    app = _require_app(ctx)
    return _logs(ctx, app, _active(ctx, app), ctx.params["component_name"])


@route("GET", "/v2/apps/{app_id}/logs")
def active_logs(ctx):
    app = _require_app(ctx)
    return _logs(ctx, app, _active(ctx, app), None)


@admin_route("/logs/")
def serve_logs(emu, request, token):
    with emu.lock:
        link = emu.store.get("app_log_links", {}).get(token)
        if link is None or link["expires"] < time.time():
            return Response("not found\n", status=404, content_type="text/plain")
        app = emu.store.get("apps", {}).get(link["app_id"])
        dep = emu.store.get("app_deployments", {}).get(link["deployment_id"])
        if app is None or dep is None:
            return Response("not found\n", status=404, content_type="text/plain")
        lines = deployment_hook(emu).logs(emu, app, dep, link["component"], link["type"])
    return Response("".join(line + "\n" for line in lines), status=200, content_type="text/plain; charset=utf-8")


@admin_route("/apps/deployments")
def configure_deployments(emu, request, _rest):
    import json

    hook = deployment_hook(emu)
    data = request.get_json(silent=True) or {}
    if request.method == "POST":
        if "failing_tags" in data:
            hook.failing_tags = set(data["failing_tags"] or [])
        if "fail_phase" in data:
            hook.fail_phase = data["fail_phase"]
    body = {"failing_tags": sorted(getattr(hook, "failing_tags", [])), "fail_phase": getattr(hook, "fail_phase", None)}
    return Response(json.dumps(body), status=200, content_type="application/json")


# -- health, alerts -----------------------------------------------------------------------------


@route("GET", "/v2/apps/{app_id}/health")
def app_health(ctx):
    app = _require_app(ctx)
    refresh(ctx, app)
    dep = ctx.table("app_deployments").get(app.get("active_deployment_id") or "")
    health = (dep["status"].get("health") or {}) if dep else {}
    out = []
    for kind, comp in components(app["spec"]):
        if kind not in COMPUTE_KINDS or kind == "jobs":
            continue
        state = health.get(comp["name"], "UNKNOWN")
        desired = comp.get("instance_count") or (comp.get("autoscaling") or {}).get("min_instance_count") or 1
        out.append({"name": comp["name"], "state": state, "replicas_desired": desired,
                    "replicas_ready": desired if state == "HEALTHY" else 0,
                    "cpu_usage_percent": 3.0 if state == "HEALTHY" else 0.0,
                    "memory_usage_percent": 21.0 if state == "HEALTHY" else 0.0})
    return 200, {"app_health": {"components": out}}


@route("GET", "/v2/apps/{app_id}/alerts")
def list_alerts(ctx):
    app = _require_app(ctx)
    alerts = [render_alert(a) for a in ctx.table("app_alerts").values() if a["app_id"] == app["id"]]
    return 200, {"alerts": alerts}


@route("POST", "/v2/apps/{app_id}/alerts/{alert_id}/destinations")
def assign_alert_destinations(ctx):
    app = _require_app(ctx)
    alert = ctx.table("app_alerts").get(ctx.params["alert_id"])
    if alert is None or alert["app_id"] != app["id"]:
        raise ApiError(404)
    emails = ctx.body.get("emails") or []
    for email in emails:
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise invalid("emails: {0!r} is not an email address".format(email))
    hooks = ctx.body.get("slack_webhooks") or []
    for hook in hooks:
        if not str(hook.get("url", "")).startswith("https://"):
            raise invalid("slack_webhooks: the webhook url must be an https URL")
    alert["emails"] = list(emails)
    alert["slack_webhooks"] = [{k: v for k, v in h.items() if k in ("url", "channel")} for h in hooks]
    return 200, {"alert": render_alert(alert)}


# -- rollback -----------------------------------------------------------------------------------


def _rollback_conditions(ctx, app, target_id):
    refresh(ctx, app)
    target = ctx.table("app_deployments").get(target_id or "")
    if target is None or target["app_id"] != app["id"]:
        raise ApiError(404)
    error = None
    warnings = []
    if app.get("pinned_deployment_id"):
        error = {"code": "app_pinned", "message": "a rollback is already in progress: commit or revert it first"}
    elif target["id"] == app.get("active_deployment_id"):
        error = {"code": "incompatible_phase", "message": "the deployment is the app's active deployment"}
    elif not target.get("was_active"):
        error = {"code": "incompatible_result",
                 "message": "only deployments that became active can be rolled back to (this one is {0})".format(
                     target["status"]["phase"])}
    elif target["spec"].get("region") != app["spec"].get("region"):
        error = {"code": "region_conflict", "message": "the deployment's region differs from the app's region"}
    elif [d.get("name") for d in target["spec"].get("databases") or []] != \
            [d.get("name") for d in app["spec"].get("databases") or []]:
        error = {"code": "database_config_conflict",
                 "message": "the deployment's database config is different than the current config"}
    if error is None:
        missing = [c["name"] for _, c in components(target["spec"]) if c.get("image") and not c["image"].get("digest")]
        if missing:
            warnings.append({"code": "image_source_missing_digest", "components": missing,
                             "message": "image components without a digest are pulled again by tag"})
    return target, error, warnings


@route("POST", "/v2/apps/{app_id}/rollback/validate")
def validate_rollback(ctx):
    app = _require_app(ctx)
    _, error, warnings = _rollback_conditions(ctx, app, ctx.body.get("deployment_id"))
    body = {"valid": error is None}
    if error is not None:
        body["error"] = error
    if warnings:
        body["warnings"] = warnings
    return 200, body


@route("POST", "/v2/apps/{app_id}/rollback")
def create_rollback(ctx):
    app = _require_app(ctx)
    target, error, _ = _rollback_conditions(ctx, app, ctx.body.get("deployment_id"))
    if error is not None:
        raise invalid("rollback is not possible: {0}".format(error["message"]))
    app["pre_rollback_spec"] = copy.deepcopy(app["spec"])
    app["spec"] = copy.deepcopy(target["spec"])
    app["updated_at"] = now_iso()
    sync_alerts(ctx, app)
    dep = new_deployment(ctx, app, "rollback to deployment {0}".format(target["id"]), cloned_from=target["id"])
    if ctx.body.get("skip_pin"):
        app.pop("pre_rollback_spec", None)
    else:
        app["pinned_deployment_id"] = dep["id"]
    return 200, {"deployment": render_deployment(dep)}


@route("POST", "/v2/apps/{app_id}/rollback/commit")
def commit_rollback(ctx):
    app = _require_app(ctx)
    if not app.get("pinned_deployment_id"):
        raise invalid("the app has no rollback to commit")
    app.pop("pinned_deployment_id", None)
    app.pop("pre_rollback_spec", None)
    return 200, None


@route("POST", "/v2/apps/{app_id}/rollback/revert")
def revert_rollback(ctx):
    app = _require_app(ctx)
    if not app.get("pinned_deployment_id"):
        raise invalid("the app has no rollback to revert")
    app.pop("pinned_deployment_id", None)
    app["spec"] = app.pop("pre_rollback_spec")
    app["updated_at"] = now_iso()
    sync_alerts(ctx, app)
    dep = new_deployment(ctx, app, "rollback reverted")
    return 200, {"deployment": render_deployment(dep)}
