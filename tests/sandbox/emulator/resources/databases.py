# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Managed databases (tag ``Databases``): /v2/databases*.

Clusters are stored with private ``_`` fields and rendered on read; the status is computed lazily
from timestamps (``creating`` until ``durations["database_create"]`` has passed, ``resizing`` for
``durations["database_resize"]`` after a resize; replicas use ``durations["replica_create"]``).

Connection details are real: a ``pg`` cluster gets its own role ``doadmin_<id8>`` (random password)
and database ``defaultdb_<id8>`` in the sandbox's PostgreSQL; users, databases and pools created
through the API create real roles and databases there (names as given, since clients connect with
them; a name already taken by another cluster is shared, not recreated). A ``valkey`` (or existing
``redis``) cluster points at the sandbox's Redis (user ``default``). Other engines get placeholder
connection details. PgBouncer is not emulated: a pool's connection goes straight to its database.
"""

import base64
import ipaddress
import re
import secrets
import subprocess
import time

from ..core import ApiError, new_id, now_iso, route

REGIONS = ["ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1", "ric1", "atl1"]
SIZES = ["db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "db-s-6vcpu-16gb", "db-s-8vcpu-32gb",
         "gd-2vcpu-8gb", "gd-4vcpu-16gb", "so1_5-2vcpu-16gb"]
HA_SIZES = SIZES[1:]


def _engine(versions, default, layouts=None, regions=None, eol=None):
    return {"regions": regions or REGIONS, "versions": versions, "default_version": default,
            "layouts": layouts or [{"num_nodes": 1, "sizes": SIZES}, {"num_nodes": 2, "sizes": HA_SIZES},
                                   {"num_nodes": 3, "sizes": HA_SIZES}],
            "_eol": eol or {}}


# What GET /v2/databases/options answers (shape and values after the spec's example).
OPTIONS = {
    "pg": _engine(["13", "14", "15", "16", "17"], "17",
                  eol={"13": ("2025-11-13T00:00:00Z", "2025-05-13T00:00:00Z"),
                       "14": ("2026-11-12T00:00:00Z", "2026-05-12T00:00:00Z")}),
    "mysql": _engine(["8"], "8"),
    "redis": _engine(["7"], "7", eol={"7": ("2025-06-30T00:00:00Z", "2025-04-30T00:00:00Z")}),
    "valkey": _engine(["8"], "8", regions=[r for r in REGIONS if r != "nyc2"]),
    "mongodb": _engine(["6.0", "7.0"], "7.0", layouts=[{"num_nodes": 1, "sizes": SIZES}, {"num_nodes": 3, "sizes": SIZES}]),
    "kafka": _engine(["3.8"], "3.8", layouts=[{"num_nodes": 3, "sizes": ["gd-2vcpu-8gb", "gd-4vcpu-16gb", "db-s-2vcpu-4gb"]}]),
    "opensearch": _engine(["1", "2"], "2", layouts=[{"num_nodes": 1, "sizes": ["db-s-1vcpu-2gb", "db-s-2vcpu-4gb"]},
                                                    {"num_nodes": 3, "sizes": ["db-s-2vcpu-4gb", "gd-2vcpu-8gb"]}]),
}
CACHE_ENGINES = ("redis", "valkey")
NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
FIREWALL_TYPES = ("droplet", "k8s", "ip_addr", "tag", "app")
PG_DEFAULT_CONFIG = {"autovacuum_naptime": 60, "autovacuum_max_workers": 3, "work_mem": 4, "max_connections": 97,
                     "timezone": "UTC", "jit": True, "idle_in_transaction_session_timeout": 0,
                     "log_min_duration_statement": -1, "backup_hour": 2, "backup_minute": 30}
VALKEY_DEFAULT_CONFIG = {"valkey_maxmemory_policy": "noeviction", "valkey_timeout": 300, "valkey_persistence": "rdb",
                         "valkey_number_of_databases": 16, "valkey_ssl": True, "valkey_notify_keyspace_events": ""}


# -- helpers -------------------------------------------------------------------------------------


def _check_name(name, what):
    if not isinstance(name, str) or not NAME.match(name):
        raise ApiError(422, "{0} name must be 1-63 letters, digits, '_', '-' or '.'".format(what))


def _pg(ctx):
    service = ctx.emu.services.get("postgres")
    return service["admin"] if service else None


def _psql(ctx, sql, database="postgres", ignore_errors=False):
    admin = _pg(ctx)
    if admin is None:
        return None
    try:
        return admin.psql(sql, database=database)
    except subprocess.CalledProcessError as exc:
        if ignore_errors:
            return None
        raise ApiError(500, "sandbox PostgreSQL: " + (exc.stderr or "").strip()[:300])


def _pg_exists(ctx, catalog, column, name):
    out = _psql(ctx, "SELECT 1 FROM {0} WHERE {1} = '{2}'".format(catalog, column, name))
    return bool(out and out.strip())


def _elapsed(start, duration):
    return time.time() >= start + float(duration)


def _status(ctx, item, duration_key):
    if not _elapsed(item["_created_ts"], ctx.emu.durations.get(duration_key, 0)):
        return "creating"
    if item.get("_busy_until") and time.time() < item["_busy_until"]:
        return item["_busy_status"]
    return "online"


def _public(item):
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _connection(ctx, cluster, user=None, database=None, password=None):
    """The connection object for a cluster (optionally for another user or database)."""
    engine = cluster["engine"]
    if engine in ("pg", "advanced_pg") and _pg(ctx) is not None:
        pg = ctx.emu.services["postgres"]
        user = user or cluster["_admin"]
        password = password if password is not None else cluster["_users"][user]["password"]
        database = database or cluster["_default_db"]
        uri = "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=require".format(user, password, pg["host"], pg["port"], database)
        return {"uri": uri, "database": database, "host": pg["host"], "port": pg["port"], "user": user,
                "password": password, "ssl": True}
    if engine in CACHE_ENGINES and ctx.emu.services.get("redis"):
        redis = ctx.emu.services["redis"]
        uri = "rediss://{0}:{1}@{2}:{3}".format(redis["user"], redis["password"], redis["host"], redis["port"])
        return {"uri": uri, "database": "", "host": redis["host"], "port": redis["port"], "user": redis["user"],
                "password": redis["password"], "ssl": True}
    user = user or cluster["_admin"]
    password = password if password is not None else cluster["_users"].get(user, {}).get("password", "")
    host = "{0}-do-user-0.db.sandbox.invalid".format(cluster["name"])
    scheme = {"mysql": "mysql", "mongodb": "mongodb+srv"}.get(engine, engine)
    uri = "{0}://{1}:{2}@{3}:25060/{4}".format(scheme, user, password, host, database or cluster["_default_db"])
    return {"uri": uri, "database": database or cluster["_default_db"], "host": host, "port": 25060, "user": user,
            "password": password, "ssl": True}


def _private(conn):
    private = dict(conn)
    if not private["host"][0].isdigit():
        private["host"] = "private-" + private["host"]
    return private


def render(ctx, cluster):
    out = _public(cluster)
    out["status"] = _status(ctx, cluster, "database_create")
    conn = _connection(ctx, cluster)
    out["connection"] = conn
    out["private_connection"] = _private(conn)
    out["users"] = [_public(u) for u in cluster["_users"].values()] if cluster["engine"] not in CACHE_ENGINES else None
    out["db_names"] = list(cluster["_dbs"]) if cluster["engine"] not in CACHE_ENGINES else None
    return out


def _cluster(ctx):
    return ctx.require("databases", ctx.params["database_cluster_uuid"])


def _validate_layout(engine, region, size, num_nodes, version=None):
    opts = OPTIONS.get(engine)
    if opts is None:
        raise ApiError(422, "engine {0} is not available".format(engine))
    if region is not None and region not in opts["regions"]:
        raise ApiError(422, "region {0} is not available for {1}".format(region, engine))
    if version is not None and version not in opts["versions"]:
        raise ApiError(422, "version {0} is not available for {1}".format(version, engine))
    layout = [lay for lay in opts["layouts"] if lay["num_nodes"] == num_nodes]
    if not layout:
        raise ApiError(422, "num_nodes {0} is not available for {1}".format(num_nodes, engine))
    if size not in layout[0]["sizes"]:
        raise ApiError(422, "size {0} is not available for {1} with {2} node(s)".format(size, engine, num_nodes))


def _firewall_rules(ctx, cluster_id, rules, existing=()):
    if len(rules) > 100:
        raise ApiError(422, "a cluster accepts at most 100 trusted sources")
    keep = {(r["type"], r["value"]): r for r in existing}
    out = []
    for rule in rules:
        kind, value = rule.get("type"), str(rule.get("value", ""))
        if kind not in FIREWALL_TYPES or not value:
            raise ApiError(422, "invalid trusted source {0!r}".format(rule))
        if kind == "ip_addr":
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ApiError(422, "{0} is not an IP address or CIDR range".format(value))
            if net.version != 4:
                raise ApiError(422, "IPv6 trusted sources are not supported")
        if kind == "app" and value not in ctx.table("apps"):
            raise ApiError(422, "app {0} not found".format(value))
        if kind == "droplet" and not value.isdigit():
            raise ApiError(422, "droplet id {0} is not a number".format(value))
        found = keep.get((kind, value))
        item = dict(found) if found else {"uuid": new_id(), "cluster_uuid": cluster_id, "type": kind, "value": value,
                                          "created_at": now_iso()}
        if rule.get("description") is not None:
            item["description"] = rule["description"]
        out.append(item)
    return out


# -- options, clusters ---------------------------------------------------------------------------


@route("GET", "/v2/databases/options")
def list_options(ctx):
    options, availability = {}, {}
    for engine, opts in OPTIONS.items():
        options[engine] = {k: v for k, v in opts.items() if not k.startswith("_")}
        availability[engine] = [{"version": v, "default": v == opts["default_version"],
                                 "end_of_life": opts["_eol"].get(v, (None, None))[0],
                                 "end_of_availability": opts["_eol"].get(v, (None, None))[1]}
                                for v in opts["versions"]]
    return 200, {"options": options, "version_availability": availability}


@route("GET", "/v2/databases")
def list_clusters(ctx):
    items = sorted(ctx.table("databases").values(), key=lambda c: c["created_at"] + c["id"])
    tag = ctx.query.get("tag_name")
    if tag:
        items = [c for c in items if tag in (c.get("tags") or [])]
    return 200, {"databases": [render(ctx, c) for c in items]}


@route("POST", "/v2/databases")
def create_cluster(ctx):
    body = ctx.body
    _check_name(body["name"], "cluster")
    engine = body["engine"]
    if engine == "redis":
        raise ApiError(422, "Caching cluster creates are no longer supported as of 2025-04-30T00:00:00Z; use valkey")
    if any(c["name"] == body["name"] for c in ctx.table("databases").values()):
        raise ApiError(422, "cluster name {0} is already in use".format(body["name"]))
    version = body.get("version") or (OPTIONS.get(engine) or {}).get("default_version")
    _validate_layout(engine, body["region"], body["size"], body["num_nodes"], version)
    vpc = body.get("private_network_uuid")
    if vpc:
        found = ctx.table("vpcs").get(vpc)
        if found is None:
            raise ApiError(422, "VPC {0} not found".format(vpc))
        if found["region"] != body["region"]:
            raise ApiError(422, "VPC {0} is in {1}, not {2}".format(vpc, found["region"], body["region"]))
    else:
        defaults = [v for v in ctx.table("vpcs").values() if v["region"] == body["region"] and v.get("default")]
        vpc = defaults[0]["id"] if defaults else ""
    cluster_id = new_id()
    short = cluster_id[:8]
    admin = "doadmin" if engine not in ("pg", "advanced_pg") else "doadmin_" + short
    default_db = "defaultdb" if engine not in ("pg", "advanced_pg") else "defaultdb_" + short
    password = secrets.token_urlsafe(18)
    rules = _firewall_rules(ctx, cluster_id, body.get("rules") or [])
    if engine in ("pg", "advanced_pg") and _pg(ctx) is not None:
        _psql(ctx, 'CREATE ROLE "{0}" LOGIN CREATEDB CREATEROLE PASSWORD \'{1}\''.format(admin, password))
        _psql(ctx, 'CREATE DATABASE "{0}" OWNER "{1}"'.format(default_db, admin))
    cluster = {
        "id": cluster_id, "name": body["name"], "engine": engine, "version": version,
        "semantic_version": version + ".0" if "." not in version else version, "num_nodes": body["num_nodes"],
        "size": body["size"], "region": body["region"], "created_at": now_iso(), "private_network_uuid": vpc,
        "tags": body.get("tags"), "project_id": body.get("project_id") or "88b72d1a-b78a-4d9f-9090-b53c4399073f",
        "storage_size_mib": body.get("storage_size_mib") or 10240,
        "maintenance_window": {"day": "sunday", "hour": "02:00:00", "pending": False, "description": []},
        "metrics_endpoints": [],
        "_created_ts": time.time(), "_admin": admin, "_default_db": default_db,
        "_users": {admin: {"name": admin, "role": "primary", "password": password, "_real": True}},
        "_dbs": {default_db: {"name": default_db, "_real": True}}, "_pools": {}, "_replicas": {}, "_rules": rules,
        "_config": dict(PG_DEFAULT_CONFIG if engine in ("pg", "advanced_pg")
                        else VALKEY_DEFAULT_CONFIG if engine in CACHE_ENGINES else {}),
    }
    if engine in ("pg", "advanced_pg"):
        cluster["_users"][admin]["settings"] = {"pg_allow_replication": True}
    ctx.table("databases")[cluster_id] = cluster
    return 201, {"database": render(ctx, cluster)}


@route("GET", "/v2/databases/{database_cluster_uuid}")
def get_cluster(ctx):
    return 200, {"database": render(ctx, _cluster(ctx))}


@route("DELETE", "/v2/databases/{database_cluster_uuid}")
def destroy_cluster(ctx):
    cluster = _cluster(ctx)
    if cluster["engine"] in ("pg", "advanced_pg"):
        for name, db in cluster["_dbs"].items():
            if db.get("_real"):
                _psql(ctx, 'DROP DATABASE IF EXISTS "{0}" WITH (FORCE)'.format(name), ignore_errors=True)
        for name, user in cluster["_users"].items():
            if user.get("_real"):
                _psql(ctx, 'DROP ROLE IF EXISTS "{0}"'.format(name), ignore_errors=True)
    del ctx.table("databases")[cluster["id"]]
    return 204, None


@route("PUT", "/v2/databases/{database_cluster_uuid}/resize")
def resize_cluster(ctx):
    cluster = _cluster(ctx)
    if _status(ctx, cluster, "database_create") != "online":
        raise ApiError(422, "cluster is not online; try again once it is")
    body = ctx.body
    _validate_layout(cluster["engine"], None, body["size"], body["num_nodes"])
    storage = body.get("storage_size_mib")
    if storage is not None and storage < cluster["storage_size_mib"]:
        raise ApiError(422, "storage cannot shrink")
    cluster.update(size=body["size"], num_nodes=body["num_nodes"])
    if storage is not None:
        cluster["storage_size_mib"] = storage
    cluster["_busy_until"] = time.time() + float(ctx.emu.durations.get("database_resize", 0))
    cluster["_busy_status"] = "resizing"
    return 202, None


@route("PUT", "/v2/databases/{database_cluster_uuid}/upgrade")
def upgrade_major_version(ctx):
    cluster = _cluster(ctx)
    version = ctx.body.get("version")
    opts = OPTIONS.get(cluster["engine"], {})
    if version not in opts.get("versions", []):
        raise ApiError(422, "version {0} is not available for {1}".format(version, cluster["engine"]))
    if float(version) < float(cluster["version"]):
        raise ApiError(422, "a cluster cannot be downgraded")
    cluster["version"] = version
    cluster["semantic_version"] = version + ".0"
    return 204, None


@route("GET", "/v2/databases/{database_cluster_uuid}/ca")
def get_ca(ctx):
    _cluster(ctx)
    pem = (ctx.emu.services.get("postgres") or ctx.emu.services.get("redis") or {}).get("ca", "")
    return 200, {"ca": {"certificate": base64.b64encode(pem.encode()).decode()}}


# -- config --------------------------------------------------------------------------------------


@route("GET", "/v2/databases/{database_cluster_uuid}/config")
def get_config(ctx):
    return 200, {"config": dict(_cluster(ctx)["_config"])}


@route("PATCH", "/v2/databases/{database_cluster_uuid}/config")
def patch_config(ctx):
    cluster = _cluster(ctx)
    config = ctx.body.get("config") or {}
    if cluster["engine"] in CACHE_ENGINES:
        wrong = [k for k in config if not k.startswith(cluster["engine"] + "_") and k != "frequent_snapshots"]
    elif cluster["engine"] in ("pg", "advanced_pg"):
        wrong = [k for k in config if k.startswith(("valkey_", "redis_"))]
    else:
        wrong = []
    if wrong:
        raise ApiError(400, "unknown config parameters for {0}: {1}".format(cluster["engine"], ", ".join(sorted(wrong))),
                       "bad_request")
    cluster["_config"].update(config)
    return 200, None


# -- firewall ------------------------------------------------------------------------------------


@route("GET", "/v2/databases/{database_cluster_uuid}/firewall")
def list_firewall_rules(ctx):
    return 200, {"rules": list(_cluster(ctx)["_rules"])}


@route("PUT", "/v2/databases/{database_cluster_uuid}/firewall")
def update_firewall_rules(ctx):
    cluster = _cluster(ctx)
    cluster["_rules"] = _firewall_rules(ctx, cluster["id"], ctx.body.get("rules") or [], cluster["_rules"])
    return 204, None


# -- users ---------------------------------------------------------------------------------------


def _no_cache(cluster, what):
    if cluster["engine"] in CACHE_ENGINES:
        raise ApiError(422, "{0} are not supported for {1} clusters".format(what, cluster["engine"]))


def _is_pg(ctx, cluster):
    return cluster["engine"] in ("pg", "advanced_pg") and _pg(ctx) is not None


@route("GET", "/v2/databases/{database_cluster_uuid}/users")
def list_users(ctx):
    cluster = _cluster(ctx)
    _no_cache(cluster, "users")
    return 200, {"users": [_public(u) for u in cluster["_users"].values()]}


@route("POST", "/v2/databases/{database_cluster_uuid}/users")
def add_user(ctx):
    cluster = _cluster(ctx)
    _no_cache(cluster, "users")
    name = ctx.body["name"]
    _check_name(name, "user")
    if name in cluster["_users"]:
        raise ApiError(422, "user {0} already exists".format(name))
    user = {"name": name, "role": "normal", "password": secrets.token_urlsafe(18), "_real": False}
    if ctx.body.get("settings"):
        user["settings"] = ctx.body["settings"]
    if cluster["engine"] == "mysql":
        user["mysql_settings"] = ctx.body.get("mysql_settings") or {"auth_plugin": "caching_sha2_password"}
    if _is_pg(ctx, cluster):
        if not _pg_exists(ctx, "pg_roles", "rolname", name):
            replication = " REPLICATION" if (user.get("settings") or {}).get("pg_allow_replication") else ""
            _psql(ctx, 'CREATE ROLE "{0}" LOGIN{1} PASSWORD \'{2}\''.format(name, replication, user["password"]))
            _psql(ctx, 'GRANT ALL ON DATABASE "{0}" TO "{1}"'.format(cluster["_default_db"], name))
            user["_real"] = True
    cluster["_users"][name] = user
    return 201, {"user": _public(user)}


def _user(ctx, cluster):
    _no_cache(cluster, "users")
    user = cluster["_users"].get(ctx.params["username"])
    if user is None:
        raise ApiError(404)
    return user


@route("GET", "/v2/databases/{database_cluster_uuid}/users/{username}")
def get_user(ctx):
    cluster = _cluster(ctx)
    return 200, {"user": _public(_user(ctx, cluster))}


@route("PUT", "/v2/databases/{database_cluster_uuid}/users/{username}")
def update_user(ctx):
    cluster = _cluster(ctx)
    user = _user(ctx, cluster)
    settings = ctx.body.get("settings") or {}
    user["settings"] = dict(user.get("settings") or {}, **settings)
    if _is_pg(ctx, cluster) and user.get("_real") and "pg_allow_replication" in settings:
        _psql(ctx, 'ALTER ROLE "{0}" {1}REPLICATION'.format(user["name"], "" if settings["pg_allow_replication"] else "NO"))
    return 201, {"user": _public(user)}


@route("POST", "/v2/databases/{database_cluster_uuid}/users/{username}/reset_auth")
def reset_auth(ctx):
    cluster = _cluster(ctx)
    user = _user(ctx, cluster)
    user["password"] = secrets.token_urlsafe(18)
    if ctx.body.get("mysql_settings"):
        user["mysql_settings"] = ctx.body["mysql_settings"]
    if _is_pg(ctx, cluster) and user.get("_real"):
        _psql(ctx, 'ALTER ROLE "{0}" PASSWORD \'{1}\''.format(user["name"], user["password"]))
    return 200, {"user": _public(user)}


@route("DELETE", "/v2/databases/{database_cluster_uuid}/users/{username}")
def delete_user(ctx):
    cluster = _cluster(ctx)
    user = _user(ctx, cluster)
    if user["role"] == "primary":
        raise ApiError(422, "the primary user cannot be deleted")
    if _is_pg(ctx, cluster) and user.get("_real"):
        for db in cluster["_dbs"]:
            _psql(ctx, 'REASSIGN OWNED BY "{0}" TO "{1}"; DROP OWNED BY "{0}"'.format(user["name"], cluster["_admin"]),
                  database=db, ignore_errors=True)
        _psql(ctx, 'DROP ROLE IF EXISTS "{0}"'.format(user["name"]), ignore_errors=True)
    del cluster["_users"][user["name"]]
    return 204, None


# -- databases -----------------------------------------------------------------------------------


@route("GET", "/v2/databases/{database_cluster_uuid}/dbs")
def list_dbs(ctx):
    cluster = _cluster(ctx)
    _no_cache(cluster, "databases")
    return 200, {"dbs": [_public(d) for d in cluster["_dbs"].values()]}


@route("POST", "/v2/databases/{database_cluster_uuid}/dbs")
def add_db(ctx):
    cluster = _cluster(ctx)
    _no_cache(cluster, "databases")
    name = ctx.body["name"]
    _check_name(name, "database")
    if name in cluster["_dbs"]:
        raise ApiError(422, "database {0} already exists".format(name))
    db = {"name": name, "_real": False}
    if _is_pg(ctx, cluster) and not _pg_exists(ctx, "pg_database", "datname", name):
        _psql(ctx, 'CREATE DATABASE "{0}" OWNER "{1}"'.format(name, cluster["_admin"]))
        db["_real"] = True
    cluster["_dbs"][name] = db
    return 201, {"db": _public(db)}


def _db(ctx, cluster):
    _no_cache(cluster, "databases")
    db = cluster["_dbs"].get(ctx.params["database_name"])
    if db is None:
        raise ApiError(404)
    return db


@route("GET", "/v2/databases/{database_cluster_uuid}/dbs/{database_name}")
def get_db(ctx):
    cluster = _cluster(ctx)
    return 200, {"db": _public(_db(ctx, cluster))}


@route("DELETE", "/v2/databases/{database_cluster_uuid}/dbs/{database_name}")
def delete_db(ctx):
    cluster = _cluster(ctx)
    db = _db(ctx, cluster)
    if db["name"] == cluster["_default_db"]:
        raise ApiError(422, "the default database cannot be deleted")
    if _is_pg(ctx, cluster) and db.get("_real"):
        _psql(ctx, 'DROP DATABASE IF EXISTS "{0}" WITH (FORCE)'.format(db["name"]), ignore_errors=True)
    del cluster["_dbs"][db["name"]]
    return 204, None


# -- connection pools ----------------------------------------------------------------------------


def _pg_only(cluster, what):
    if cluster["engine"] not in ("pg", "advanced_pg"):
        raise ApiError(422, "{0} are only supported for PostgreSQL clusters".format(what))


def _render_pool(ctx, cluster, pool):
    out = _public(pool)
    user = pool.get("user") or cluster["_admin"]
    password = (cluster["_users"].get(user) or {}).get("password", "")
    conn = _connection(ctx, cluster, user=user, database=pool["db"], password=password)
    out["connection"] = conn
    out["private_connection"] = _private(conn)
    return out


def _check_pool(cluster, body):
    if body["mode"] not in ("session", "transaction", "statement"):
        raise ApiError(422, "mode must be session, transaction or statement")
    if body["size"] < 1:
        raise ApiError(422, "size must be at least 1")
    if body["db"] not in cluster["_dbs"]:
        raise ApiError(422, "database {0} does not exist".format(body["db"]))
    if body.get("user") and body["user"] not in cluster["_users"]:
        raise ApiError(422, "user {0} does not exist".format(body["user"]))


@route("GET", "/v2/databases/{database_cluster_uuid}/pools")
def list_pools(ctx):
    cluster = _cluster(ctx)
    _pg_only(cluster, "connection pools")
    return 200, {"pools": [_render_pool(ctx, cluster, p) for p in cluster["_pools"].values()]}


@route("POST", "/v2/databases/{database_cluster_uuid}/pools")
def add_pool(ctx):
    cluster = _cluster(ctx)
    _pg_only(cluster, "connection pools")
    body = ctx.body
    _check_name(body["name"], "pool")
    if body["name"] in cluster["_pools"]:
        raise ApiError(422, "pool {0} already exists".format(body["name"]))
    _check_pool(cluster, body)
    pool = {"name": body["name"], "mode": body["mode"], "size": body["size"], "db": body["db"],
            "user": body.get("user") or ""}
    cluster["_pools"][pool["name"]] = pool
    return 201, {"pool": _render_pool(ctx, cluster, pool)}


def _pool(ctx, cluster):
    _pg_only(cluster, "connection pools")
    pool = cluster["_pools"].get(ctx.params["pool_name"])
    if pool is None:
        raise ApiError(404)
    return pool


@route("GET", "/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def get_pool(ctx):
    cluster = _cluster(ctx)
    return 200, {"pool": _render_pool(ctx, cluster, _pool(ctx, cluster))}


@route("PUT", "/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def update_pool(ctx):
    cluster = _cluster(ctx)
    pool = _pool(ctx, cluster)
    body = ctx.body
    _check_pool(cluster, body)
    # As the real API: the PUT replaces the pool; a body without "user" leaves the pool without one.
    pool.update(mode=body["mode"], size=body["size"], db=body["db"], user=body.get("user") or "")
    return 204, None


@route("DELETE", "/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def delete_pool(ctx):
    cluster = _cluster(ctx)
    pool = _pool(ctx, cluster)
    del cluster["_pools"][pool["name"]]
    return 204, None


# -- replicas ------------------------------------------------------------------------------------


def _render_replica(ctx, cluster, replica):
    out = _public(replica)
    out["status"] = _status(ctx, replica, "replica_create")
    conn = _connection(ctx, cluster)
    out["connection"] = conn
    out["private_connection"] = _private(conn)
    return out


@route("GET", "/v2/databases/{database_cluster_uuid}/replicas")
def list_replicas(ctx):
    cluster = _cluster(ctx)
    return 200, {"replicas": [_render_replica(ctx, cluster, r) for r in cluster["_replicas"].values()]}


@route("POST", "/v2/databases/{database_cluster_uuid}/replicas")
def create_replica(ctx):
    cluster = _cluster(ctx)
    if cluster["engine"] in CACHE_ENGINES:
        raise ApiError(422, "read-only replicas are not supported for {0} clusters".format(cluster["engine"]))
    body = ctx.body
    _check_name(body["name"], "replica")
    if body["name"] in cluster["_replicas"]:
        raise ApiError(422, "replica {0} already exists".format(body["name"]))
    region = body.get("region") or cluster["region"]
    _validate_layout(cluster["engine"], region, body["size"], 1)
    if body["size"] in SIZES and cluster["size"] in SIZES and SIZES.index(body["size"]) < SIZES.index(cluster["size"]):
        raise ApiError(422, "a replica must be at least as large as its primary")
    replica = {"id": new_id(), "name": body["name"], "region": region, "size": body["size"],
               "tags": body.get("tags") or [], "created_at": now_iso(),
               "private_network_uuid": body.get("private_network_uuid") or cluster["private_network_uuid"],
               "storage_size_mib": body.get("storage_size_mib") or cluster["storage_size_mib"],
               "_created_ts": time.time()}
    cluster["_replicas"][replica["name"]] = replica
    return 201, {"replica": _render_replica(ctx, cluster, replica)}


def _replica(ctx, cluster):
    replica = cluster["_replicas"].get(ctx.params["replica_name"])
    if replica is None:
        raise ApiError(404)
    return replica


@route("GET", "/v2/databases/{database_cluster_uuid}/replicas/{replica_name}")
def get_replica(ctx):
    cluster = _cluster(ctx)
    return 200, {"replica": _render_replica(ctx, cluster, _replica(ctx, cluster))}


@route("DELETE", "/v2/databases/{database_cluster_uuid}/replicas/{replica_name}")
def destroy_replica(ctx):
    cluster = _cluster(ctx)
    replica = _replica(ctx, cluster)
    del cluster["_replicas"][replica["name"]]
    return 204, None
