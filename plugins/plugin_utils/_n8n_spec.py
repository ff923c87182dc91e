# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Render the DigitalOcean App Platform app spec for n8n (pure data, no API calls).

This module is private to the appplatform.n8n collection. Its functions and names
may change at any time without notice; use the ``appplatform.n8n.n8n_app_spec``,
``appplatform.n8n.n8n_app_plan`` and ``appplatform.n8n.n8n_db_pool_size`` filters
or the ``appplatform.n8n.n8n_spec`` role instead.

What n8n reads is taken from the collection's n8n fact sheet (n8n 2.41.x), not from
the older production guide. Every refusal raises :class:`N8nSpecError` with a
message that names the setting to use instead.
"""

from __future__ import annotations

import copy
import json
import re

from ansible.module_utils.parsing.convert_bool import boolean

# Newest n8n release the sandbox can run for real: 2.41.3 (npm "latest") cannot be
# installed there (its exact dependency @n8n/agents@0.26.2 is missing), 2.41.1 can.
DEFAULT_N8N_VERSION = "2.41.1"

TIERS = ("simple", "queue", "production")

N8N_IMAGE_REPOSITORY = "n8n-io/n8n"
RUNNERS_IMAGE_REPOSITORY = "n8n-io/runners"
IMAGE_REGISTRY = "ghcr.io"

MAIN_COMPONENT = "n8n-main"
MAIN_RUNNER_COMPONENT = "n8n-runner-main"
QUEUE_WORKER_COMPONENT = "n8n-worker"  # runners_mode=internal only: one autoscalable worker component
PAIRED_WORKER_PREFIX = "n8n-worker-"
PAIRED_RUNNER_PREFIX = "n8n-runner-"

# App-level marker of the tier (BUILD_TIME scope: image components have no build, so no n8n
# process ever sees it). Lets scale.yml and later day-2 playbooks read the tier of a deployed app.
TIER_ENV_KEY = "APPPLATFORM_N8N_TIER"

N8N_PORT = 5678
QUEUE_HEALTH_CHECK_PORT = 5678
RUNNERS_BROKER_PORT = 5679
RUNNERS_LAUNCHER_HEALTH_PORT = 5680

# A managed PostgreSQL cluster allows 25 connections per GB of RAM, 3 of them reserved.
PG_CONNECTIONS_PER_GB = 25
PG_RESERVED_CONNECTIONS = 3

# App Platform limits used by the renderer.
MAX_WORKER_COUNT = 25  # with external runners every worker is 2 components
MAX_LIVENESS_FAILURE_THRESHOLD = 50

LOG_LEVELS = ("error", "warn", "info", "debug", "silent")
LOG_FORMATS = ("text", "json")
SAVE_DATA_CHOICES = ("all", "none")
BINARY_DATA_MODES = ("database", "s3")
# external: every n8n process that executes code gets its own runner component (the default, and
# the only mode in production). internal: n8n runs the JS runner itself; n8n 2.x deprecates it and
# logs a warning at every start, but it saves one runner component per n8n process.
RUNNERS_MODES = ("external", "internal")
REGIONS = ("atl", "nyc", "sfo", "tor", "ams", "fra", "lon", "blr", "sgp", "syd")
INSTANCE_SIZES = (
    "apps-s-1vcpu-0.5gb", "apps-s-1vcpu-1gb-fixed", "apps-s-1vcpu-1gb", "apps-s-1vcpu-2gb",
    "apps-s-2vcpu-4gb", "apps-d-1vcpu-0.5gb", "apps-d-1vcpu-1gb", "apps-d-1vcpu-2gb",
    "apps-d-1vcpu-4gb", "apps-d-2vcpu-4gb", "apps-d-2vcpu-8gb", "apps-d-4vcpu-8gb",
    "apps-d-4vcpu-16gb", "apps-d-8vcpu-32gb",
)

# The production guide's "Capacity Planning" table: workflows per day -> sizes.
# (upper bound exclusive or None, app instance size, database size, worker count)
SIZE_PRESETS = (
    (100, "apps-s-1vcpu-1gb", "db-s-1vcpu-1gb", 1),
    (500, "apps-s-1vcpu-2gb", "db-s-1vcpu-2gb", 1),
    (2000, "apps-s-2vcpu-4gb", "db-s-2vcpu-4gb", 1),
    (None, "apps-s-2vcpu-4gb", "db-s-4vcpu-8gb", 2),  # "2000+: multiple workers"
)

# DigitalOcean's smallest PostgreSQL size with standby nodes (GET /v2/databases/options: the 2- and
# 3-node layouts start at 2 GB).
HA_MIN_DB_SIZE = "db-s-1vcpu-2gb"
HA_MIN_DB_RAM_GB = 2

# Health checks. Readiness (/healthz/readiness) only answers 200 once migrations are
# done, so its budget must cover a long migration on a major upgrade:
# 60 s + 50 x 20 s = about 17.7 minutes. Liveness on main (/healthz) answers as soon as
# the HTTP server listens (after DB connect, before migrations), so it can be tighter.
# A worker's health server only starts after full init, migrations included, so the
# worker liveness check gets the long budget.
MAIN_READINESS = {
    "http_path": "/healthz/readiness", "port": N8N_PORT, "initial_delay_seconds": 60,
    "period_seconds": 20, "timeout_seconds": 5, "success_threshold": 1, "failure_threshold": 50,
}
MAIN_LIVENESS = {
    "http_path": "/healthz", "port": N8N_PORT, "initial_delay_seconds": 90,
    "period_seconds": 10, "timeout_seconds": 5, "success_threshold": 1, "failure_threshold": 12,
}
WORKER_READINESS = dict(MAIN_READINESS, port=QUEUE_HEALTH_CHECK_PORT)
WORKER_LIVENESS = {
    "http_path": "/healthz", "port": QUEUE_HEALTH_CHECK_PORT, "initial_delay_seconds": 120,
    "period_seconds": 20, "timeout_seconds": 5, "success_threshold": 1, "failure_threshold": 45,
}
RUNNER_LIVENESS = dict(WORKER_LIVENESS, port=RUNNERS_LAUNCHER_HEALTH_PORT)

ENV_KEY_RE = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
COMPONENT_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
DB_SIZE_RE = re.compile(r"^[a-z0-9_]+(?:-[a-z0-9_]+)*?-(\d+)vcpu-(\d+)gb$")
BCRYPT_RE = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PACKAGE_RE = re.compile(r"^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")

# Settings n8n 2.x no longer reads (or that are unsafe), with what to use instead.
OUTDATED_SETTINGS = {
    "N8N_BASIC_AUTH_ACTIVE": "built-in user management (basic auth was removed in n8n 1.0); "
                             "seed the owner with n8n_spec_owner_email/n8n_spec_owner_password_hash "
                             "(N8N_INSTANCE_OWNER_*)",
    "N8N_METRICS_PORT": "N8N_METRICS (n8n_spec_metrics_enabled): /metrics is served on the main port, "
                        "there is no separate metrics port",
    "N8N_MODE": "the tier (n8n_spec_tier): the process role comes from the command "
                "(n8n start / n8n worker), there is no N8N_MODE",
    "WEBHOOK_URL": "N8N_WEBHOOK_URL, rendered from n8n_spec_domain or ${APP_URL}",
    "N8N_RUNNERS_ENABLED": "N8N_RUNNERS_MODE (rendered per tier): task runners are always on in n8n 2.x",
    "N8N_AVAILABLE_BINARY_DATA_MODES": "nothing: remove it, the available binary data modes are fixed "
                                       "(use n8n_spec_binary_data_mode)",
    "AWS_ACCESS_KEY_ID": "N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY (n8n_spec_s3_access_key, "
                         "with n8n_spec_binary_data_mode=s3)",
    "AWS_SECRET_ACCESS_KEY": "N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET (n8n_spec_s3_secret_key, "
                             "with n8n_spec_binary_data_mode=s3)",
    "DB_POSTGRESDB_IDLE_TIMEOUT_MILLIS": "DB_POSTGRESDB_IDLE_CONNECTION_TIMEOUT",
    "QUEUE_WORKER_TIMEOUT": "N8N_GRACEFUL_SHUTDOWN_TIMEOUT (n8n_spec_graceful_shutdown_seconds)",
    "QUEUE_WORKER_MAX_STALLED_COUNT": "nothing: it was removed in n8n 2.x",
    "N8N_BINARY_DATA_STORAGE_PATH": "N8N_STORAGE_PATH",
    "N8N_BINARY_DATA_TTL": "nothing: it is obsolete (pruning removes binary data with executions)",
    "N8N_PERSISTED_BINARY_DATA_TTL": "nothing: it is obsolete (pruning removes binary data with executions)",
    "EXECUTIONS_DATA_PRUNE_TIMEOUT": "EXECUTIONS_DATA_PRUNE_SOFT_DELETE_INTERVAL / "
                                     "EXECUTIONS_DATA_PRUNE_HARD_DELETE_INTERVAL",
    "NODE_TLS_REJECT_UNAUTHORIZED": "DB_POSTGRESDB_SSL_CA from the cluster CA (rendered): disabling TLS "
                                    "verification process-wide is unsafe",
}
OUTDATED_PREFIXES = {
    "N8N_BASIC_AUTH_": OUTDATED_SETTINGS["N8N_BASIC_AUTH_ACTIVE"],
    "AWS_S3_": "N8N_EXTERNAL_STORAGE_S3_* (n8n_spec_s3_* with n8n_spec_binary_data_mode=s3; n8n reads no "
               "AWS_S3_* variable)",
}

DEFAULTS = {
    "app_name": None,
    "region": None,
    "n8n_version": DEFAULT_N8N_VERSION,
    "encryption_key": None,
    "runners_auth_token": None,
    "runners_mode": "external",
    "workflows_per_day": 0,
    "instance_size": None,
    "worker_instance_size": None,
    "runner_instance_size": "apps-s-1vcpu-0.5gb",
    "main_instance_count": 1,
    "multi_main_licensed": False,
    "worker_count": None,
    "worker_concurrency": 10,
    "db_component": "n8n-postgres",
    "db_cluster_name": None,
    "db_version": "17",
    "db_name": None,
    "db_user": None,
    "db_size": None,
    "db_num_nodes": None,
    "db_pool_size": None,
    "db_pool_size_max": 10,
    "valkey_component": "n8n-valkey",
    "valkey_cluster_name": None,
    "valkey_version": "8",
    "valkey_size": "db-s-1vcpu-1gb",
    "valkey_tls_validate_certificate": True,
    "domain": None,
    "domain_zone": None,
    "timezone": "UTC",
    "log_level": "info",
    "log_format": "text",
    "executions_save_on_error": "all",
    "executions_save_on_success": "all",
    "executions_save_manual": True,
    "executions_save_on_progress": False,
    "executions_prune": True,
    "executions_max_age_hours": 336,
    "executions_prune_max_count": 10000,
    "owner_email": None,
    "owner_password_hash": None,
    "owner_first_name": "Instance",
    "owner_last_name": "Owner",
    "alerts_enabled": None,
    "alert_emails": [],
    "alert_cpu_percent": 80,
    "alert_memory_percent": 80,
    "alert_restart_count": 3,
    "community_packages": [],
    "community_packages_reinstall_missing": True,
    "binary_data_mode": "database",
    "s3_licensed": False,
    "s3_host": None,
    "s3_bucket": None,
    "s3_region": None,
    "s3_access_key": None,
    "s3_secret_key": None,
    "metrics_enabled": False,
    "runners_task_timeout": 300,
    "graceful_shutdown_seconds": 30,
    "extra_env": {},
    "extra_secret_env": {},
}


class N8nSpecError(ValueError):
    """A setting cannot be rendered; the message says what to do instead."""


# --------------------------------------------------------------------------- helpers

def _fail(msg):
    raise N8nSpecError(msg)


def _bool_str(value):
    return "true" if value else "false"


def env(key, value, secret=False):
    """One App Platform env entry: run time only, GENERAL or SECRET."""
    if not isinstance(key, str) or not ENV_KEY_RE.match(key):
        _fail("env key %r does not match the App Platform pattern %s" % (key, ENV_KEY_RE.pattern))
    if isinstance(value, bool):
        value = _bool_str(value)
    elif isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        _fail("env %s: value must be a string, got %s" % (key, type(value).__name__))
    return {"key": key, "value": value, "scope": "RUN_TIME", "type": "SECRET" if secret else "GENERAL"}


def db_ram_gb(db_size):
    """RAM in GB of a managed database size slug (db-s-1vcpu-2gb -> 2)."""
    match = DB_SIZE_RE.match(db_size or "")
    if not match:
        _fail("cannot read the RAM from database size %r: expected a slug like db-s-1vcpu-2gb" % (db_size,))
    return int(match.group(2))


def db_connection_limit(db_size):
    """Connections n8n may open on a managed PostgreSQL cluster of this size."""
    return PG_CONNECTIONS_PER_GB * db_ram_gb(db_size) - PG_RESERVED_CONNECTIONS


def db_pool_size(db_size, processes, pool_max=10, requested=None):
    """DB_POSTGRESDB_POOL_SIZE so that processes x pool size stays within the connection limit.

    ``processes`` counts every n8n process (each instance of main and of every worker).
    The pool is capped at ``pool_max`` so small tiers keep headroom for rolling deploys
    (old and new instances overlap) and for operators. An explicit ``requested`` size is
    checked instead of computed.
    """
    limit = db_connection_limit(db_size)
    if processes < 1:
        _fail("at least one n8n process is needed, got %d" % processes)
    if processes > limit:
        _fail("database size %s allows %d connections (25 per GB of RAM minus 3 reserved) but the "
              "deployment runs %d n8n processes that need at least 1 each: choose a larger "
              "n8n_spec_db_size or fewer workers" % (db_size, limit, processes))
    if requested is not None:
        if requested < 1 or requested * processes > limit:
            _fail("n8n_spec_db_pool_size=%d x %d n8n processes = %d exceeds the %d connections of "
                  "database size %s; use at most %d or leave it unset"
                  % (requested, processes, requested * processes, limit, db_size, limit // processes))
        return requested
    return max(1, min(pool_max, limit // processes))


def size_preset(workflows_per_day):
    """Default sizes from the guide's capacity table for a number of workflows per day."""
    for upper, instance, database, workers in SIZE_PRESETS:
        if upper is None or workflows_per_day < upper:
            break
    return {"instance_size": instance, "db_size": database, "worker_count": workers}


def outdated_setting(key):
    """The modern replacement of an env var n8n no longer reads, or None."""
    if key in OUTDATED_SETTINGS:
        return OUTDATED_SETTINGS[key]
    for prefix, replacement in OUTDATED_PREFIXES.items():
        if key.startswith(prefix):
            return replacement
    return None


def paired_names(index):
    """(worker service, runner worker) names of queue-tier pair ``index`` (1-based)."""
    return PAIRED_WORKER_PREFIX + str(index), PAIRED_RUNNER_PREFIX + str(index)


# --------------------------------------------------------------------------- settings

def _check_choice(settings, key, choices):
    if settings[key] not in choices:
        _fail("n8n_spec_%s=%r is not valid; choose one of: %s"
              % (key, settings[key], ", ".join(str(c) for c in choices)))


def _check_int(settings, key, low, high=None):
    value = settings[key]
    if isinstance(value, str) and re.match(r"^\s*[-+]?\d+\s*$", value):
        # extra vars (-e key=3) arrive as strings
        value = settings[key] = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail("n8n_spec_%s must be an integer, got %r" % (key, value))
    if value < low or (high is not None and value > high):
        _fail("n8n_spec_%s=%d is out of range (%s..%s)" % (key, value, low, high if high is not None else ""))


BOOL_SETTINGS = (
    "multi_main_licensed", "valkey_tls_validate_certificate", "executions_save_manual",
    "executions_save_on_progress", "executions_prune", "alerts_enabled", "community_packages_reinstall_missing",
    "s3_licensed", "metrics_enabled",
)


def _check_bool(settings, key):
    value = settings[key]
    try:
        # extra vars (-e key=false) and templated role variables may arrive as strings
        settings[key] = boolean(value, strict=True)
    except TypeError:
        _fail("n8n_spec_%s must be a boolean (true/false), got %r" % (key, value))


def _check_version(version):
    version = str(version)
    if version.strip().lower() == "latest":
        _fail("n8n_spec_n8n_version must be a pinned release such as %s, never 'latest': an "
              "unpinned image upgrades n8n (and its database schema) on any redeploy" % DEFAULT_N8N_VERSION)
    match = VERSION_RE.match(version)
    if not match:
        _fail("n8n_spec_n8n_version=%r is not a pinned release (expected MAJOR.MINOR.PATCH, e.g. %s)"
              % (version, DEFAULT_N8N_VERSION))
    if int(match.group(1)) < 2:
        _fail("n8n_spec_n8n_version=%s: this collection renders n8n 2.x settings; use %s or newer 2.x"
              % (version, DEFAULT_N8N_VERSION))
    return version


def _check_extra_env(extra, name):
    if not isinstance(extra, dict):
        _fail("n8n_spec_%s must be a mapping of variable name to value" % name)
    for key in extra:
        replacement = outdated_setting(str(key))
        if replacement:
            _fail("n8n_spec_%s: %s is not read by n8n 2.x; use %s instead" % (name, key, replacement))
        if not ENV_KEY_RE.match(str(key)):
            _fail("n8n_spec_%s: %r is not a valid environment variable name" % (name, key))
        if key == "N8N_LOG_LEVEL" and extra[key] not in LOG_LEVELS:
            _fail("N8N_LOG_LEVEL=%r is not a level n8n knows (%s)" % (extra[key], ", ".join(LOG_LEVELS)))


def resolve_settings(tier, settings):
    """Validate ``settings`` for ``tier`` and fill every default. Returns a new dict."""
    if tier not in TIERS:
        _fail("tier %r is not one of: %s" % (tier, ", ".join(TIERS)))
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        _fail("unknown setting(s): %s" % ", ".join(unknown))
    resolved = copy.deepcopy(DEFAULTS)
    resolved.update({k: v for k, v in settings.items() if v is not None})
    resolved["tier"] = tier
    queue = tier != "simple"
    for key in BOOL_SETTINGS:
        if key != "alerts_enabled" or resolved[key] is not None:
            _check_bool(resolved, key)

    name = resolved["app_name"]
    if not name or not COMPONENT_NAME_RE.match(name):
        _fail("n8n_spec_app_name=%r must match %s (2-32 lowercase letters, digits, dashes)"
              % (name, COMPONENT_NAME_RE.pattern))
    if resolved["region"] is not None:
        _check_choice(resolved, "region", REGIONS)
    resolved["n8n_version"] = _check_version(resolved["n8n_version"])

    _check_choice(resolved, "runners_mode", RUNNERS_MODES)
    if tier == "production" and resolved["runners_mode"] != "external":
        _fail("n8n_spec_runners_mode=%s: the production tier runs code in external task runners only "
              "(internal mode is deprecated by n8n 2.x and gives no isolation)" % resolved["runners_mode"])
    required = ("encryption_key",) + (("runners_auth_token",) if resolved["runners_mode"] == "external" else ())
    for key in required:
        value = resolved[key]
        if not isinstance(value, str) or not value or value.startswith("<"):
            _fail("n8n_spec_%s is required for the %s tier (the renderer never generates it; the "
                  "secrets role creates it once and keeps it)" % (key, tier))

    _check_int(resolved, "workflows_per_day", 0)
    preset = size_preset(resolved["workflows_per_day"])
    for key in ("instance_size", "db_size", "worker_count"):
        if resolved[key] is None:
            resolved[key] = preset[key]
    if resolved["worker_instance_size"] is None:
        resolved["worker_instance_size"] = resolved["instance_size"]
    for key in ("instance_size", "worker_instance_size", "runner_instance_size"):
        _check_choice(resolved, key, INSTANCE_SIZES)
    db_ram_gb(resolved["db_size"])
    db_ram_gb(resolved["valkey_size"])

    _check_int(resolved, "main_instance_count", 1, 250)
    if resolved["main_instance_count"] > 1:
        if not queue:
            _fail("n8n_spec_main_instance_count=%d: more than one main needs queue mode and n8n's "
                  "multi-main licence; use the queue or production tier" % resolved["main_instance_count"])
        if not resolved["multi_main_licensed"]:
            _fail("n8n_spec_main_instance_count=%d: without n8n's multi-main licence every main instance "
                  "acts as leader (schedules fire twice); keep 1 main and scale workers, or set "
                  "n8n_spec_multi_main_licensed=true if you have the licence" % resolved["main_instance_count"])
    if not queue:
        resolved["worker_count"] = 0
    else:
        _check_int(resolved, "worker_count", 1, MAX_WORKER_COUNT)
    _check_int(resolved, "worker_concurrency", 1, 1000)

    if resolved["db_num_nodes"] is None:
        resolved["db_num_nodes"] = 2 if tier == "production" else 1
    _check_int(resolved, "db_num_nodes", 1, 3)
    if tier == "production" and resolved["db_num_nodes"] < 2:
        _fail("the production tier needs an HA PostgreSQL cluster: n8n_spec_db_num_nodes must be 2 or 3")
    if resolved["db_num_nodes"] > 1 and db_ram_gb(resolved["db_size"]) < HA_MIN_DB_RAM_GB:
        if settings.get("db_size") is None:
            resolved["db_size"] = HA_MIN_DB_SIZE  # the preset's size has no standby nodes at DigitalOcean
        else:
            _fail("n8n_spec_db_size=%s: DigitalOcean offers standby nodes (n8n_spec_db_num_nodes=%d) only from "
                  "%s up" % (resolved["db_size"], resolved["db_num_nodes"], HA_MIN_DB_SIZE))
    if resolved["db_cluster_name"] is None:
        resolved["db_cluster_name"] = name + "-pg"
    if resolved["valkey_cluster_name"] is None:
        resolved["valkey_cluster_name"] = name + "-valkey"
    for key in ("db_component", "valkey_component"):
        if not COMPONENT_NAME_RE.match(resolved[key]):
            _fail("n8n_spec_%s=%r is not a valid component name" % (key, resolved[key]))
    _check_int(resolved, "db_pool_size_max", 1, 100)
    if resolved["db_pool_size"] is not None:
        _check_int(resolved, "db_pool_size", 1, 1000)

    if resolved["domain"] is not None and not DOMAIN_RE.match(resolved["domain"]):
        _fail("n8n_spec_domain=%r is not a hostname (no scheme, no path)" % resolved["domain"])
    if not isinstance(resolved["timezone"], str) or not re.match(r"^[A-Za-z0-9_+\-/]+$", resolved["timezone"]):
        _fail("n8n_spec_timezone=%r is not an IANA time zone name" % (resolved["timezone"],))
    if resolved["log_level"] == "verbose":
        _fail("n8n_spec_log_level=verbose is not a level n8n 2.x knows (it falls back to info); use debug")
    _check_choice(resolved, "log_level", LOG_LEVELS)
    _check_choice(resolved, "log_format", LOG_FORMATS)
    _check_choice(resolved, "executions_save_on_error", SAVE_DATA_CHOICES)
    _check_choice(resolved, "executions_save_on_success", SAVE_DATA_CHOICES)
    _check_int(resolved, "executions_max_age_hours", 1)
    _check_int(resolved, "executions_prune_max_count", 0)
    _check_int(resolved, "runners_task_timeout", 1)
    _check_int(resolved, "graceful_shutdown_seconds", 1, 570)

    if (resolved["owner_email"] is None) != (resolved["owner_password_hash"] is None):
        _fail("owner bootstrap needs both n8n_spec_owner_email and n8n_spec_owner_password_hash")
    if resolved["owner_password_hash"] is not None and not BCRYPT_RE.match(resolved["owner_password_hash"]):
        _fail("n8n_spec_owner_password_hash must be a bcrypt hash ($2a$/$2b$/$2y$), never a plain password")

    if resolved["alerts_enabled"] is None:
        resolved["alerts_enabled"] = tier == "production" or bool(resolved["alert_emails"])
    elif resolved["alert_emails"] and not resolved["alerts_enabled"]:
        _fail("n8n_spec_alert_emails is set but n8n_spec_alerts_enabled=false: no alert would reach them; "
              "enable the alerts or drop the e-mails")
    for key in ("alert_cpu_percent", "alert_memory_percent"):
        _check_int(resolved, key, 1, 100)
    _check_int(resolved, "alert_restart_count", 1)
    if not isinstance(resolved["alert_emails"], list):
        _fail("n8n_spec_alert_emails must be a list of e-mail addresses")
    for email in resolved["alert_emails"]:
        if not isinstance(email, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            _fail("n8n_spec_alert_emails: %r is not an e-mail address" % (email,))

    packages = []
    for package in resolved["community_packages"]:
        if isinstance(package, str):
            package = {"name": package}
        if not isinstance(package, dict) or not PACKAGE_RE.match(str(package.get("name", ""))):
            _fail("n8n_spec_community_packages: %r is not {name: <npm package>, version: <version>}" % (package,))
        entry = {"name": package["name"]}
        if package.get("version"):
            entry["version"] = str(package["version"])
        packages.append(entry)
    resolved["community_packages"] = packages

    _check_choice(resolved, "binary_data_mode", BINARY_DATA_MODES)
    if resolved["binary_data_mode"] == "s3":
        if not resolved["s3_licensed"]:
            _fail("n8n_spec_binary_data_mode=s3 needs an n8n licence (without one n8n exits at start); "
                  "keep 'database' or set n8n_spec_s3_licensed=true if you have the licence")
        missing = [k for k in ("s3_host", "s3_bucket", "s3_region", "s3_access_key", "s3_secret_key")
                   if not resolved[k]]
        if missing:
            _fail("n8n_spec_binary_data_mode=s3 needs: %s" % ", ".join("n8n_spec_" + k for k in missing))
        if "://" in resolved["s3_host"]:
            _fail("n8n_spec_s3_host must be a host name only (e.g. ams3.digitaloceanspaces.com)")

    _check_extra_env(resolved["extra_env"], "extra_env")
    _check_extra_env(resolved["extra_secret_env"], "extra_secret_env")

    resolved["n8n_processes"] = resolved["main_instance_count"] + resolved["worker_count"]
    resolved["db_connection_limit"] = db_connection_limit(resolved["db_size"])
    resolved["db_pool_size"] = db_pool_size(resolved["db_size"], resolved["n8n_processes"],
                                            resolved["db_pool_size_max"], resolved["db_pool_size"])
    return resolved


# --------------------------------------------------------------------------- envs

def _base_url(s):
    return "https://" + s["domain"] if s["domain"] else "${APP_URL}"


def _common_n8n_envs(s):
    """Envs every n8n process (main and workers) gets."""
    db = s["db_component"]
    envs = [
        env("DB_TYPE", "postgresdb"),
        env("DB_POSTGRESDB_HOST", "${%s.HOSTNAME}" % db),
        env("DB_POSTGRESDB_PORT", "${%s.PORT}" % db),
        env("DB_POSTGRESDB_DATABASE", "${%s.DATABASE}" % db),
        env("DB_POSTGRESDB_USER", "${%s.USERNAME}" % db),
        env("DB_POSTGRESDB_PASSWORD", "${%s.PASSWORD}" % db),
        env("DB_POSTGRESDB_SSL_ENABLED", True),
        env("DB_POSTGRESDB_SSL_CA", "${%s.CA_CERT}" % db),
        env("DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED", True),
        env("DB_POSTGRESDB_POOL_SIZE", s["db_pool_size"]),
        env("N8N_ENCRYPTION_KEY", s["encryption_key"], secret=True),
        env("N8N_EDITOR_BASE_URL", _base_url(s)),
        env("N8N_WEBHOOK_URL", _base_url(s) + "/"),
        env("GENERIC_TIMEZONE", s["timezone"]),
        env("TZ", s["timezone"]),
        env("N8N_DIAGNOSTICS_ENABLED", False),
        env("N8N_LOG_LEVEL", s["log_level"]),
        env("N8N_LOG_FORMAT", s["log_format"]),
        env("N8N_DEFAULT_BINARY_DATA_MODE", s["binary_data_mode"]),
        env("EXECUTIONS_DATA_SAVE_ON_ERROR", s["executions_save_on_error"]),
        env("EXECUTIONS_DATA_SAVE_ON_SUCCESS", s["executions_save_on_success"]),
        env("EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS", s["executions_save_manual"]),
        env("EXECUTIONS_DATA_SAVE_ON_PROGRESS", s["executions_save_on_progress"]),
        env("EXECUTIONS_DATA_PRUNE", s["executions_prune"]),
        env("EXECUTIONS_DATA_MAX_AGE", s["executions_max_age_hours"]),
        env("EXECUTIONS_DATA_PRUNE_MAX_COUNT", s["executions_prune_max_count"]),
        env("N8N_RUNNERS_TASK_TIMEOUT", s["runners_task_timeout"]),
        env("N8N_REINSTALL_MISSING_PACKAGES", s["community_packages_reinstall_missing"]),
    ]
    if s["community_packages"]:
        envs += [
            env("N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV", True),
            env("N8N_COMMUNITY_PACKAGES", json.dumps(s["community_packages"], separators=(",", ":"))),
        ]
    if s["metrics_enabled"]:
        envs.append(env("N8N_METRICS", True))
    if s["binary_data_mode"] == "s3":
        envs += [
            env("N8N_EXTERNAL_STORAGE_S3_HOST", s["s3_host"]),
            env("N8N_EXTERNAL_STORAGE_S3_PROTOCOL", "https"),
            env("N8N_EXTERNAL_STORAGE_S3_BUCKET_NAME", s["s3_bucket"]),
            env("N8N_EXTERNAL_STORAGE_S3_BUCKET_REGION", s["s3_region"]),
            env("N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY", s["s3_access_key"], secret=True),
            env("N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET", s["s3_secret_key"], secret=True),
        ]
    if s["runners_mode"] == "external":
        envs += [env("N8N_RUNNERS_MODE", "external"),
                 env("N8N_RUNNERS_AUTH_TOKEN", s["runners_auth_token"], secret=True)]
    else:
        envs.append(env("N8N_RUNNERS_MODE", "internal"))
    if s["tier"] == "simple":
        envs.append(env("EXECUTIONS_MODE", "regular"))
    else:
        vk = s["valkey_component"]
        envs += [
            env("EXECUTIONS_MODE", "queue"),
            env("QUEUE_BULL_REDIS_HOST", "${%s.HOSTNAME}" % vk),
            env("QUEUE_BULL_REDIS_PORT", "${%s.PORT}" % vk),
            env("QUEUE_BULL_REDIS_USERNAME", "${%s.USERNAME}" % vk),
            env("QUEUE_BULL_REDIS_PASSWORD", "${%s.PASSWORD}" % vk),
            env("QUEUE_BULL_REDIS_TLS", True),
        ]
        if not s["valkey_tls_validate_certificate"]:
            envs.append(env("QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE", False))
    return envs


def _broker_envs(s):
    """Envs of an n8n process whose task broker an external runner component connects to."""
    if s["runners_mode"] != "external":
        return []
    return [env("N8N_RUNNERS_BROKER_LISTEN_ADDRESS", "0.0.0.0"),
            env("N8N_RUNNERS_BROKER_PORT", RUNNERS_BROKER_PORT)]


def _main_runs_code(s):
    # In the queue tiers main offloads manual executions to the workers and starts no broker.
    return s["tier"] == "simple"


def _main_envs(s):
    envs = _common_n8n_envs(s) + [
        env("N8N_PORT", N8N_PORT),
        env("N8N_PROXY_HOPS", 1),
    ]
    if _main_runs_code(s):
        envs += _broker_envs(s)
    else:
        # Manual executions run on workers, so main starts no task broker and needs no runner.
        envs.append(env("OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS", True))
    if s["main_instance_count"] > 1:
        envs.append(env("N8N_MULTI_MAIN_SETUP_ENABLED", True))
    if s["owner_email"]:
        envs += [
            env("N8N_INSTANCE_OWNER_MANAGED_BY_ENV", True),
            env("N8N_INSTANCE_OWNER_EMAIL", s["owner_email"]),
            env("N8N_INSTANCE_OWNER_PASSWORD_HASH", s["owner_password_hash"], secret=True),
            env("N8N_INSTANCE_OWNER_FIRST_NAME", s["owner_first_name"]),
            env("N8N_INSTANCE_OWNER_LAST_NAME", s["owner_last_name"]),
        ]
    return _with_extra(s, envs)


def _worker_envs(s):
    envs = _common_n8n_envs(s) + [
        env("QUEUE_HEALTH_CHECK_ACTIVE", True),
        env("QUEUE_HEALTH_CHECK_PORT", QUEUE_HEALTH_CHECK_PORT),
        env("N8N_GRACEFUL_SHUTDOWN_TIMEOUT", s["graceful_shutdown_seconds"]),
    ] + _broker_envs(s)
    return _with_extra(s, envs)


def _runner_envs(s, broker_component):
    launcher_level = "error" if s["log_level"] == "silent" else s["log_level"]
    return [
        env("N8N_RUNNERS_TASK_BROKER_URI", "http://%s:%d" % (broker_component, RUNNERS_BROKER_PORT)),
        env("N8N_RUNNERS_AUTH_TOKEN", s["runners_auth_token"], secret=True),
        env("N8N_RUNNERS_TASK_TIMEOUT", s["runners_task_timeout"]),
        env("N8N_RUNNERS_LAUNCHER_HEALTH_CHECK_PORT", RUNNERS_LAUNCHER_HEALTH_PORT),
        env("N8N_RUNNERS_LAUNCHER_LOG_LEVEL", launcher_level),
        env("GENERIC_TIMEZONE", s["timezone"]),
        env("TZ", s["timezone"]),
    ]


def _with_extra(s, envs):
    rendered = {e["key"] for e in envs}
    for extra, secret in ((s["extra_env"], False), (s["extra_secret_env"], True)):
        for key in sorted(extra):
            if key in rendered:
                _fail("n8n_spec_extra_env: %s is rendered by appplatform.n8n from the role variables; "
                      "set it through them instead of overriding it" % key)
            envs.append(env(key, extra[key], secret=secret))
    return envs


# --------------------------------------------------------------------------- components

def _image(repository, tag):
    return {"registry_type": "GHCR", "registry": IMAGE_REGISTRY, "repository": repository, "tag": tag}


def _component_alerts(s):
    if not s["alerts_enabled"]:
        return {}
    return {"alerts": [
        {"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": float(s["alert_cpu_percent"]),
         "window": "TEN_MINUTES"},
        {"rule": "MEM_UTILIZATION", "operator": "GREATER_THAN", "value": float(s["alert_memory_percent"]),
         "window": "TEN_MINUTES"},
        {"rule": "RESTART_COUNT", "operator": "GREATER_THAN", "value": float(s["alert_restart_count"]),
         "window": "FIVE_MINUTES"},
    ]}


def _termination(s):
    # App Platform must wait longer than n8n's own graceful shutdown.
    return {"grace_period_seconds": min(600, s["graceful_shutdown_seconds"] + 30)}


def _main_service(s):
    service = {
        "name": MAIN_COMPONENT,
        "image": _image(N8N_IMAGE_REPOSITORY, s["n8n_version"]),
        "instance_size_slug": s["instance_size"],
        "instance_count": s["main_instance_count"],
        "http_port": N8N_PORT,
        "health_check": dict(MAIN_READINESS),
        "liveness_health_check": dict(MAIN_LIVENESS),
        "envs": _main_envs(s),
    }
    if _main_runs_code(s) and s["runners_mode"] == "external":
        # Its runner must reach this instance: simple never has more than one main.
        service["internal_ports"] = [RUNNERS_BROKER_PORT]
    service.update(_component_alerts(s))
    return service


def _worker_command(s):
    return "n8n worker --concurrency=%d" % s["worker_concurrency"]


def _queue_worker(s):
    worker = {
        "name": QUEUE_WORKER_COMPONENT,
        "image": _image(N8N_IMAGE_REPOSITORY, s["n8n_version"]),
        "run_command": _worker_command(s),
        "instance_size_slug": s["worker_instance_size"],
        "instance_count": s["worker_count"],
        "liveness_health_check": dict(WORKER_LIVENESS),
        "termination": _termination(s),
        "envs": _worker_envs(s),
    }
    worker.update(_component_alerts(s))
    return worker


def _paired_worker_service(s, index):
    name = paired_names(index)[0]
    service = {
        "name": name,
        "image": _image(N8N_IMAGE_REPOSITORY, s["n8n_version"]),
        "run_command": _worker_command(s),
        "instance_size_slug": s["worker_instance_size"],
        # Exactly one instance, never autoscaled: its runner must reach this instance.
        "instance_count": 1,
        "internal_ports": [RUNNERS_BROKER_PORT],
        "health_check": dict(WORKER_READINESS),
        "liveness_health_check": dict(WORKER_LIVENESS),
        "termination": dict(_termination(s), drain_seconds=15),
        "envs": _worker_envs(s),
    }
    service.update(_component_alerts(s))
    return service


def _runner(s, name, broker_component):
    runner = {
        "name": name,
        "image": _image(RUNNERS_IMAGE_REPOSITORY, s["n8n_version"]),
        "instance_size_slug": s["runner_instance_size"],
        "instance_count": 1,
        "liveness_health_check": dict(RUNNER_LIVENESS),
        "envs": _runner_envs(s, broker_component),
    }
    runner.update(_component_alerts(s))
    return runner


def _databases(s):
    databases = [{
        "name": s["db_component"], "engine": "PG", "version": str(s["db_version"]),
        "production": True, "cluster_name": s["db_cluster_name"],
    }]
    if s["db_name"]:
        databases[0]["db_name"] = s["db_name"]
    if s["db_user"]:
        databases[0]["db_user"] = s["db_user"]
    if s["tier"] != "simple":
        databases.append({
            "name": s["valkey_component"], "engine": "VALKEY", "version": str(s["valkey_version"]),
            "production": True, "cluster_name": s["valkey_cluster_name"],
        })
    return databases


def _ingress():
    # Only "/" is routed, to main. /metrics is answered by a redirect at the edge so it is
    # never served publicly, whether or not N8N_METRICS is on.
    return {"rules": [
        {"match": {"path": {"prefix": "/metrics"}}, "redirect": {"uri": "/", "redirect_code": 302}},
        {"match": {"path": {"prefix": "/"}}, "component": {"name": MAIN_COMPONENT}},
    ]}


def render_app_spec_from_resolved(s):
    """The app spec for already resolved settings (see :func:`resolve_settings`)."""
    spec = {"name": s["app_name"]}
    if s["region"]:
        spec["region"] = s["region"]
    if s["domain"]:
        domain = {"domain": s["domain"], "type": "PRIMARY", "minimum_tls_version": "1.2"}
        if s["domain_zone"]:
            domain["zone"] = s["domain_zone"]
        spec["domains"] = [domain]
    if s["alerts_enabled"]:
        spec["alerts"] = [{"rule": "DEPLOYMENT_FAILED"}]
        if s["domain"]:
            spec["alerts"].append({"rule": "DOMAIN_FAILED"})
    spec["ingress"] = _ingress()
    services = [_main_service(s)]
    workers = []
    external = s["runners_mode"] == "external"
    if _main_runs_code(s) and external:
        workers.append(_runner(s, MAIN_RUNNER_COMPONENT, MAIN_COMPONENT))
    if s["tier"] != "simple" and not external:
        workers.append(_queue_worker(s))
    elif s["tier"] != "simple":
        for index in range(1, s["worker_count"] + 1):
            worker_name, runner_name = paired_names(index)
            services.append(_paired_worker_service(s, index))
            workers.append(_runner(s, runner_name, worker_name))
    spec["services"] = services
    if workers:
        spec["workers"] = workers
    spec["databases"] = _databases(s)
    spec["envs"] = [dict(env(TIER_ENV_KEY, s["tier"]), scope="BUILD_TIME")]
    return spec


def render_app_spec(tier, settings):
    """The DigitalOcean App Platform app spec (a dict) for n8n in ``tier``."""
    return render_app_spec_from_resolved(resolve_settings(tier, settings))


def render_plan(tier, settings):
    """Resolved, non-secret facts about a deployment, for the roles that create infrastructure."""
    s = resolve_settings(tier, settings)
    render_app_spec_from_resolved(s)  # same refusals as the spec, so callers can validate without secrets
    pairs = []
    if s["runners_mode"] == "external":
        if _main_runs_code(s):
            pairs.append({"broker": MAIN_COMPONENT, "runner": MAIN_RUNNER_COMPONENT})
        pairs += [dict(zip(("broker", "runner"), paired_names(i))) for i in range(1, s["worker_count"] + 1)]
    return {
        "tier": tier,
        "app_name": s["app_name"],
        "n8n_version": s["n8n_version"],
        "instance_size": s["instance_size"],
        "worker_instance_size": s["worker_instance_size"],
        "worker_count": s["worker_count"],
        "main_instance_count": s["main_instance_count"],
        "n8n_processes": s["n8n_processes"],
        "postgres": {
            "component": s["db_component"], "cluster_name": s["db_cluster_name"], "version": str(s["db_version"]),
            "size": s["db_size"], "num_nodes": s["db_num_nodes"],
            "connection_limit": s["db_connection_limit"], "pool_size": s["db_pool_size"],
        },
        "valkey": None if tier == "simple" else {
            "component": s["valkey_component"], "cluster_name": s["valkey_cluster_name"],
            "version": str(s["valkey_version"]), "size": s["valkey_size"],
        },
        "runners_mode": s["runners_mode"],
        "runner_pairs": pairs,
        "alert_emails": list(s["alert_emails"]) if s["alerts_enabled"] else [],
        "url": None if not s["domain"] else "https://" + s["domain"],
    }


def components(spec):
    """Every component of a spec as (kind, component) pairs."""
    for kind in ("services", "workers", "jobs", "static_sites"):
        for component in spec.get(kind, []):
            yield kind, component


def env_value(component, key):
    """The value of env ``key`` on a component, or None."""
    for entry in component.get("envs", []):
        if entry["key"] == key:
            return entry["value"]
    return None


def max_pool_total(spec):
    """Largest number of DB connections the n8n processes of a spec can open together."""
    total = 0
    for _kind, component in components(spec):
        pool = env_value(component, "DB_POSTGRESDB_POOL_SIZE")
        if pool is not None:
            count = component.get("autoscaling", {}).get("max_instance_count", component.get("instance_count", 1))
            total += int(pool) * count
    return total


def runner_targets(spec):
    """(runner component, broker component name) for every runner in the spec."""
    out = []
    for _kind, component in components(spec):
        uri = env_value(component, "N8N_RUNNERS_TASK_BROKER_URI")
        if uri is not None:
            host = re.sub(r"^https?://", "", uri).split(":")[0].split("/")[0]
            out.append((component["name"], host))
    return out


__all__ = [
    "DEFAULT_N8N_VERSION", "N8nSpecError", "TIERS", "db_connection_limit", "db_pool_size", "db_ram_gb",
    "max_pool_total", "outdated_setting", "render_app_spec", "render_plan", "resolve_settings",
    "runner_targets", "size_preset",
]
