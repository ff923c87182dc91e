# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""App Platform helpers shared by the app* modules.

Private to the appplatform.n8n collection: it may change at any time.

* :func:`find_app` by name or id.
* Spec comparison: :func:`canonical` turns a spec (ours or the API's) into a comparable form: the
  server-side defaults applied (:func:`apply_defaults`, the ones DigitalOcean adds), zero values
  dropped (the API omits them, proto3-style), unordered lists sorted, and every secret value replaced
  by a token (see below).
* Secrets: the API returns SECRET env values and registry credentials only as ``EV[...]`` ciphertext
  that is different on every submission, so a plaintext can never be compared with it. The module
  keeps, in the app spec itself, a **secrets fingerprint**: an app-level env var
  ``APPPLATFORM_N8N_SECRETS_FINGERPRINT`` (type GENERAL, scope BUILD_TIME, so it never reaches the
  running containers of image components) whose value is
  ``v2:scrypt:<N>:<r>:<p>:<salt>:<NAME>=<digest>,...`` — per secret name, scrypt (N=2^15, r=8, p=1,
  32 MiB, ~0.1-0.3 s) of the set of its plaintext values, with a random 16-byte salt kept from run to
  run — or, when the user gives ``secrets_fingerprint_key``, ``v2:hmac-sha256:<salt>:<NAME>=<digest>,...``
  (HMAC keyed with that key, which never leaves the controller). See :func:`fingerprint`.
* :func:`wait_for_deployment`: follows one deployment to ACTIVE; on ERROR/CANCELED/SUPERSEDED raises
  :class:`DeploymentFailed` with the failed step and the last log lines of the failing component.
* :func:`fetch_log_lines`: the API returns log URLs, not logs; this reads them (same CA bundle).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import re

from ansible.module_utils.urls import open_url

from ansible_collections.appplatform.n8n.plugins.module_utils._diff import REDACTED, redact
from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError, OperationFailed, WaitTimeout
from ansible_collections.appplatform.n8n.plugins.module_utils._waiters import wait_for

FINGERPRINT_KEY = "APPPLATFORM_N8N_SECRETS_FINGERPRINT"
COMPONENT_KINDS = ("services", "workers", "jobs", "static_sites", "functions")
COMPUTE_KINDS = ("services", "workers", "jobs")
DEFAULT_SIZE = "apps-s-1vcpu-0.5gb"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
FAILED_PHASES = ("ERROR", "CANCELED", "SUPERSEDED")
NEW_SECRET = "(new secret)"


def is_encrypted(value):
    return isinstance(value, str) and value.startswith("EV[") and value.endswith("]")


# -- finding ------------------------------------------------------------------------------------


def find_app(client, name=None, app_id=None):
    """The app by id, or by ``spec.name`` (names are unique per account); ``None`` when absent."""
    if app_id:
        body = client.get("apps.get", app_id)
        return body["app"] if body else None
    for app in client.paginate("apps.list", "apps"):
        if (app.get("spec") or {}).get("name") == name:
            return app
    return None


def summary(app):
    """What the modules return about an app."""
    spec = app.get("spec") or {}
    active = app.get("active_deployment") or {}
    progress = app.get("in_progress_deployment") or app.get("pending_deployment") or {}
    return {
        "id": app.get("id"),
        "name": spec.get("name"),
        "live_url": app.get("live_url"),
        "default_ingress": app.get("default_ingress"),
        "region": spec.get("region"),
        "project_id": app.get("project_id"),
        "active_deployment": {"id": active.get("id"), "phase": active.get("phase")} if active else None,
        "in_progress_deployment": {"id": progress.get("id"), "phase": progress.get("phase")} if progress else None,
        "components": component_names(spec),
        "spec": spec,
        "created_at": app.get("created_at"),
        "updated_at": app.get("updated_at"),
    }


def component_names(spec):
    return {kind: [c.get("name") for c in spec.get(kind) or []] for kind in COMPONENT_KINDS + ("databases",)
            if spec.get(kind)}


# -- secrets ------------------------------------------------------------------------------------


def secret_slots(spec):
    """``(location, container, field)`` of every secret value of a spec (container[field] is the value)."""
    slots = []
    for env in spec.get("envs") or []:
        if env.get("type") == "SECRET":
            slots.append((("app", "", "env", env.get("key")), env, "value"))
    for kind in COMPONENT_KINDS:
        for comp in spec.get(kind) or []:
            for env in comp.get("envs") or []:
                if env.get("type") == "SECRET":
                    slots.append(((kind, comp.get("name"), "env", env.get("key")), env, "value"))
            image = comp.get("image") or {}
            if image.get("registry_credentials"):
                slots.append(((kind, comp.get("name"), "image", "registry_credentials"), image, "registry_credentials"))
    return slots


def plaintext_secrets(spec):
    return [v for _loc, c, f in secret_slots(spec) for v in [c.get(f)] if v and not is_encrypted(v)]


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _plaintexts_by_name(spec):
    """Plaintext secret values of a spec by env key (or field) name: ``{name: {values}}``."""
    by_name = {}
    for loc, container, field in secret_slots(spec):
        value = container.get(field)
        if value and not is_encrypted(value):
            by_name.setdefault(loc[-1], set()).add(value)
    return by_name


def _digest(name, values, salt, key=None):
    data = json.dumps([name, sorted(values)], separators=(",", ":")).encode()
    if key:
        return _b64(hmac.new(key.encode(), salt + data, hashlib.sha256).digest())
    return _b64(hashlib.scrypt(data, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=32))


def fingerprint(spec, salt, key=None):
    """The secrets fingerprint of ``spec`` (plaintext secrets only), or ``None`` when it has none.

    One digest per secret name (env key), over the set of values that name has in the spec, so that
    adding a component with the same secret changes nothing and a changed value can be named
    (:func:`changed_secret_names`) without knowing the old one. Trade-off, documented in the app module:
    an unkeyed fast hash of a low-entropy secret could be reversed by guessing; a key derived from the
    secrets adds nothing. With ``key`` (the user's ``secrets_fingerprint_key``) each digest is an HMAC
    that cannot be checked without that key. Without it, scrypt with a per-app random salt makes each
    guess cost ~0.1-0.3 s and 32 MiB and rules out precomputed tables; a random secret such as
    ``N8N_ENCRYPTION_KEY`` (32 bytes) cannot be guessed, a weak password could be, slowly: set the key
    for those. Keying with the API token was rejected: every token rotation, and every operator with
    their own token, would see a change.
    """
    by_name = _plaintexts_by_name(spec)
    if not by_name:
        return None
    parts = ",".join("{0}={1}".format(name, _digest(name, values, salt, key)) for name, values in sorted(by_name.items()))
    if key:
        return "v2:hmac-sha256:{0}:{1}".format(_b64(salt), parts)
    return "v2:scrypt:{0}:{1}:{2}:{3}:{4}".format(SCRYPT_N, SCRYPT_R, SCRYPT_P, _b64(salt), parts)


def parse_fingerprint(value):
    """``(scheme, salt, {name: digest})`` of a stored fingerprint, or ``None`` when it cannot be read."""
    if not value:
        return None
    parts = value.split(":")
    try:
        if parts[:2] == ["v2", "scrypt"] and len(parts) == 7:
            scheme, salt, digests = ":".join(parts[1:5]), parts[5], parts[6]
        elif parts[:2] == ["v2", "hmac-sha256"] and len(parts) == 4:
            scheme, salt, digests = parts[1], parts[2], parts[3]
        else:
            return None
        return scheme, _unb64(salt), dict(item.split("=", 1) for item in digests.split(","))
    except (ValueError, TypeError):
        return None


def _stored_fingerprint(spec):
    for env in (spec or {}).get("envs") or []:
        if env.get("key") == FINGERPRINT_KEY and env.get("value"):
            return env["value"]
    return None


def fingerprint_salt(spec):
    """The salt of the fingerprint stored in ``spec``, or a new random one."""
    parsed = parse_fingerprint(_stored_fingerprint(spec))
    return parsed[1] if parsed else os.urandom(16)


def with_fingerprint(spec, current_spec=None, key=None):
    """``spec`` plus the fingerprint env (or without any stale one when it has no plaintext secret)."""
    spec = copy.deepcopy(spec)
    envs = [e for e in spec.get("envs") or [] if e.get("key") != FINGERPRINT_KEY]
    value = fingerprint(spec, fingerprint_salt(current_spec), key)
    if value is None and secret_slots(spec):
        # Only EV[...] values: when they are exactly what the API holds, the stored fingerprint still
        # describes them; keep it (a mix of EV and plaintext values gets a new fingerprint: one redeploy).
        held = current_tokens(current_spec)
        if all(held.get(loc) == c.get(f) for loc, c, f in secret_slots(spec)):
            value = _stored_fingerprint(current_spec)
    if value is not None:
        envs.append({"key": FINGERPRINT_KEY, "value": value, "scope": "BUILD_TIME", "type": "GENERAL"})
    if envs:
        spec["envs"] = envs
    else:
        spec.pop("envs", None)
    return spec


def changed_secret_names(desired_spec, current_spec):
    """Names of secrets the app holds whose value ``desired_spec`` (fingerprinted) changes.

    Secrets only added or only removed are not changes. When the stored fingerprint cannot tell
    (none, another scheme or key), every secret name is reported if anything differs.
    """
    if not current_spec or not secret_slots(current_spec):
        return []
    old = parse_fingerprint(_stored_fingerprint(current_spec))
    new = parse_fingerprint(_stored_fingerprint(desired_spec))
    if old is None or new is None or old[:2] != new[:2]:
        if not secrets_differ(desired_spec, current_spec):
            return []
        return sorted({loc[-1] for loc, _c, _f in secret_slots(desired_spec)})
    return sorted(name for name in set(old[2]) & set(new[2]) if old[2][name] != new[2][name])


def secrets_differ(desired_spec, current_spec):
    """True when the secrets we send differ from those the app holds (by fingerprint and EV values)."""
    if _stored_fingerprint(desired_spec) != _stored_fingerprint(current_spec):
        return True
    held = current_tokens(current_spec)
    return any(is_encrypted(c.get(f)) and held.get(loc) != c.get(f) for loc, c, f in secret_slots(desired_spec))


# -- comparison ---------------------------------------------------------------------------------


def apply_defaults(spec, current_spec=None):
    """The defaults the API adds to a stored spec (see the emulator's ``resources/apps.py``)."""
    spec = copy.deepcopy(spec)
    if not spec.get("region") and (current_spec or {}).get("region"):
        spec["region"] = current_spec["region"]
    env_lists = [spec.get("envs") or []]
    for kind in COMPONENT_KINDS:
        for comp in spec.get(kind) or []:
            env_lists.append(comp.get("envs") or [])
            if kind in COMPUTE_KINDS:
                comp.setdefault("instance_size_slug", DEFAULT_SIZE)
                if not comp.get("autoscaling"):
                    comp.setdefault("instance_count", 1)
            if kind == "services" and "http_port" not in comp and not comp.get("internal_ports"):
                comp["http_port"] = 8080
            image = comp.get("image")
            if image and not image.get("tag") and not image.get("digest"):
                image["tag"] = "latest"
    for envs in env_lists:
        for env in envs:
            env.setdefault("scope", "RUN_AND_BUILD_TIME")
            env.setdefault("type", "GENERAL")
    if not (spec.get("ingress") or {}).get("rules"):
        rules = []
        for comp in spec.get("services") or []:
            for route in comp.pop("routes", None) or []:
                rule = {"match": {"path": {"prefix": route.get("path") or "/"}}, "component": {"name": comp["name"]}}
                if route.get("preserve_path_prefix"):
                    rule["component"]["preserve_path_prefix"] = True
                rules.append(rule)
        public = [c for c in spec.get("services") or [] if c.get("http_port")]
        if not rules and public:
            rules.append({"match": {"path": {"prefix": "/"}}, "component": {"name": public[0]["name"]}})
        if rules:
            spec.setdefault("ingress", {})["rules"] = rules
    vpc = spec.get("vpc")
    if isinstance(vpc, dict):
        vpc.pop("egress_ips", None)  # read-only
    return spec


def _is_zero(value):
    """Zero values, which the API omits from what it returns (proto3 JSON)."""
    if isinstance(value, bool):
        return value is False
    if isinstance(value, (int, float)):
        return value == 0
    return value is None or value in ("", [], {})


def _drop_zero(value):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _drop_zero(item)
            if not _is_zero(item):
                out[key] = item
        return out
    if isinstance(value, list):
        return [_drop_zero(v) for v in value]
    if isinstance(value, str):
        return value.strip()
    return value


def _sort(spec):
    for envs in [spec.get("envs")] + [c.get("envs") for k in COMPONENT_KINDS for c in spec.get(k) or []]:
        if envs:
            envs.sort(key=lambda e: e.get("key") or "")
    for kind in COMPONENT_KINDS + ("databases",):
        if spec.get(kind):
            spec[kind].sort(key=lambda c: c.get("name") or "")
    if spec.get("domains"):
        spec["domains"].sort(key=lambda d: d.get("domain") or "")
    for holder in [spec] + [c for k in COMPONENT_KINDS for c in spec.get(k) or []]:
        if holder.get("alerts"):
            holder["alerts"].sort(key=lambda a: json.dumps(a, sort_keys=True))
    return spec


def canonical(spec, secret_tokens, current_spec=None):
    """A comparable copy of ``spec``: defaults applied, zero values dropped, lists sorted, secrets tokenized.

    ``secret_tokens`` maps a secret's location to the token that stands for its value.
    """
    spec = apply_defaults(spec, current_spec)
    for loc, container, field in secret_slots(spec):
        container[field] = secret_tokens.get(loc, NEW_SECRET)
    return _sort(_drop_zero(spec))


def current_tokens(current_spec):
    """Tokens of the secrets the API holds: their ciphertext (opaque, but stable until resubmitted)."""
    return {loc: c.get(f) for loc, c, f in secret_slots(current_spec or {})}


def desired_tokens(desired_spec, current_spec):
    """Tokens for the secrets we send: an ``EV[...]`` stands for itself (kept as is); a plaintext is taken
    as the value the API holds at the same place — whether it really is, the fingerprint decides."""
    held = current_tokens(current_spec)
    tokens = {}
    for loc, container, field in secret_slots(desired_spec):
        value = container.get(field)
        tokens[loc] = value if is_encrypted(value) else held.get(loc, NEW_SECRET)
    return tokens


def redact_spec(spec):
    """A copy for output: secret values replaced (the EV ciphertexts too, they are just noise)."""
    spec = copy.deepcopy(spec or {})
    for _loc, container, field in secret_slots(spec):
        if container.get(field) not in (None, ""):
            container[field] = REDACTED
    return redact(spec)


# -- deployments --------------------------------------------------------------------------------


class DeploymentFailed(OperationFailed):
    """A deployment ended in ERROR, CANCELED or SUPERSEDED instead of ACTIVE."""


def _failed_step(steps, top=None, path=()):
    """The deepest step in ERROR: (top-level step name, path, step)."""
    for step in steps or []:
        if step.get("status") != "ERROR":
            continue
        here = path + (step.get("name"),)
        deeper = _failed_step(step.get("steps"), top or step.get("name"), here)
        return deeper if deeper else (top or step.get("name"), here, step)
    return None


def describe_failure(client, app_id, deployment, ca_bundle=None, lines=20, timeout=30):
    """The failure of a deployment: message and details (phase, step, component, log lines)."""
    phase = deployment.get("phase")
    dep_id = deployment.get("id")
    if phase != "ERROR":
        return "deployment {0} ended {1} instead of ACTIVE (another deployment or a cancel replaced it)".format(
            dep_id, phase), {"deployment_id": dep_id, "phase": phase}
    found = _failed_step((deployment.get("progress") or {}).get("steps"))
    stage, path, step = found if found else (None, (), {})
    failed_phase = {"build": "BUILDING", "deploy": "DEPLOYING"}.get(stage, stage or "UNKNOWN")
    component = step.get("component_name")
    reason = (step.get("reason") or {}).get("message") or ""
    log_lines = []
    if component:
        for log_type in (("BUILD",) if stage == "build" else ("DEPLOY", "RUN")):
            try:
                log_lines += fetch_log_lines(client, app_id, dep_id, component, log_type, ca_bundle=ca_bundle,
                                             timeout=timeout)
            except (APIError, IOError, ValueError) as exc:
                log_lines.append("(could not read {0} logs: {1})".format(log_type, exc))
    log_lines = log_lines[-lines:]
    message = "deployment {0} failed in phase {1}, step {2}{3}{4}".format(
        dep_id, failed_phase, "/".join(p for p in path if p) or "unknown",
        " (component {0})".format(component) if component else "", ": " + reason if reason else "")
    if log_lines:
        message += "\nlast log lines of {0}:\n{1}".format(component, "\n".join(log_lines))
    return message, {"deployment_id": dep_id, "phase": phase, "failed_phase": failed_phase,
                     "failed_step": "/".join(p for p in path if p), "failed_component": component,
                     "log_lines": log_lines}


def wait_for_deployment(client, app_id, deployment_id, timeout, ca_bundle=None, log_lines=20):
    """Poll one deployment until ACTIVE; returns the :class:`WaitResult` (``value`` = the deployment)."""

    def poll():
        return client.call("apps.get_deployment", app_id, deployment_id)["deployment"]

    def failed(dep):
        return dep.get("phase") in FAILED_PHASES and dep.get("phase")

    try:
        return wait_for(poll, lambda d: d.get("phase") == "ACTIVE", timeout, failed=failed,
                        describe="deployment {0} to become ACTIVE".format(deployment_id))
    except WaitTimeout as exc:
        if exc.last is not None and exc.last.get("phase") in FAILED_PHASES:
            message, details = describe_failure(client, app_id, exc.last, ca_bundle=ca_bundle, lines=log_lines)
            raise DeploymentFailed(message, **details)
        raise


# -- logs ---------------------------------------------------------------------------------------


def log_urls(client, app_id, deployment_id=None, component=None, log_type="RUN"):
    if deployment_id and component:
        body = client.call("apps.get_logs", app_id, deployment_id, component, type=log_type)
    elif deployment_id:
        body = client.call("apps.get_logs_aggregate", app_id, deployment_id, type=log_type)
    elif component:
        body = client.call("apps.get_logs_active_deployment", app_id, component, type=log_type)
    else:
        body = client.call("apps.get_logs_active_deployment_aggregate", app_id, type=log_type)
    return (body or {}).get("historic_urls") or []


def fetch_log_lines(client, app_id, deployment_id, component, log_type, ca_bundle=None, timeout=30):
    lines = []
    for url in log_urls(client, app_id, deployment_id, component, log_type):
        response = open_url(url, ca_path=ca_bundle, timeout=timeout, validate_certs=True, http_agent="appplatform.n8n")
        text = response.read().decode("utf-8", "replace")
        lines.extend(line for line in text.splitlines() if line.strip())
    return lines


def filter_lines(lines, pattern=None, last=None):
    if pattern:
        regex = re.compile(pattern)
        lines = [line for line in lines if regex.search(line)]
    if last:
        lines = lines[-last:]
    return lines
