# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Managed database helpers shared by the database_* modules (and day-2 work such as backups).

Private to the appplatform.n8n collection: it may change at any time.

* :func:`find_cluster` finds a cluster by UUID or name; :func:`strip_secrets` removes connection
  details and passwords from what the API returns.
* :func:`check_layout` validates engine, version, region, size and node count against
  ``GET /v2/databases/options`` (no hard-coded lists), and refuses engines and versions whose
  end of availability has passed (Redis: 2025-04-30, use Valkey).
* :func:`wait_online` waits with the collection's waiter until a cluster or replica is ``online``.
* :func:`decode_ca`, :func:`write_ca_file`, :func:`libpq_env` turn a connection object and the
  cluster CA into libpq settings (``PGHOST``... ``PGSSLMODE=verify-full``, ``PGSSLROOTCERT``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import re
import tempfile

from ansible_collections.appplatform.n8n.plugins.module_utils._waiters import wait_for

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
CONNECTION_KEYS = ("connection", "private_connection", "standby_connection", "standby_private_connection",
                   "ui_connection", "schema_registry_connection")
# Engines DigitalOcean still lists and runs but no longer creates, with what to use instead.
RETIRED_ENGINE_HINTS = {"redis": "DigitalOcean stopped creating Caching (Redis) clusters on 2025-04-30: use engine valkey"}


def is_uuid(value):
    return bool(value and UUID.match(value))


# -- clusters ------------------------------------------------------------------------------------


def list_clusters(client, tag_name=None):
    kwargs = {"tag_name": tag_name} if tag_name else {}
    return (client.call("databases.list_clusters", **kwargs) or {}).get("databases") or []


def find_cluster(client, ref):
    """The cluster with UUID or name ``ref``, or ``None``."""
    if not ref:
        return None
    if is_uuid(ref):
        body = client.get("databases.get_cluster", ref)
        if body:
            return body["database"]
    matches = [c for c in list_clusters(client) if c.get("name") == ref]
    return matches[0] if matches else None


def strip_secrets(resource):
    """A copy without connection objects, passwords and access keys."""
    if not isinstance(resource, dict):
        return resource
    out = {k: v for k, v in resource.items() if k not in CONNECTION_KEYS}
    if isinstance(out.get("users"), list):
        out["users"] = [strip_secrets(u) for u in out["users"]]
    for key in ("password", "access_cert", "access_key"):
        out.pop(key, None)
    return out


# -- options -------------------------------------------------------------------------------------


def get_options(client):
    return client.call("databases.list_options") or {}


def _past(timestamp, now):
    if not timestamp:
        return False
    try:
        when = datetime.datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return False
    return when <= now


def check_layout(options, engine, region=None, size=None, num_nodes=None, version=None, creating=False, now=None):
    """Problems (a list of messages) with a cluster layout, checked against the options body."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    engines = (options or {}).get("options") or {}
    if creating and engine in RETIRED_ENGINE_HINTS:
        return [RETIRED_ENGINE_HINTS[engine] + "."]
    if engine not in engines:
        return ["engine {0!r} is not offered; engines: {1}.".format(engine, ", ".join(sorted(engines)))]
    offer = engines[engine] or {}
    problems = []
    if region is not None and region not in (offer.get("regions") or []):
        problems.append("region {0!r} is not offered for {1}; regions: {2}.".format(
            region, engine, ", ".join(offer.get("regions") or [])))
    if version is not None and str(version) not in (offer.get("versions") or []):
        problems.append("version {0!r} is not offered for {1}; versions: {2}.".format(
            version, engine, ", ".join(offer.get("versions") or [])))
    if creating:
        availability = ((options.get("version_availability") or {}).get(engine)) or []
        wanted = str(version) if version is not None else offer.get("default_version")
        retired = [a for a in availability if _past(a.get("end_of_availability"), now)]
        if availability and len(retired) == len(availability):
            problems.append("engine {0!r} can no longer be used for new clusters (end of availability {1}).".format(
                engine, retired[0].get("end_of_availability")))
        elif any(a.get("version") == wanted for a in retired):
            problems.append("{0} version {1} can no longer be used for new clusters.".format(engine, wanted))
    if num_nodes is not None:
        layouts = {lay.get("num_nodes"): lay.get("sizes") or [] for lay in offer.get("layouts") or []}
        if num_nodes not in layouts:
            problems.append("num_nodes {0} is not offered for {1}; node counts: {2}.".format(
                num_nodes, engine, ", ".join(str(n) for n in sorted(layouts))))
        elif size is not None and size not in layouts[num_nodes]:
            problems.append("size {0!r} is not offered for {1} with {2} node(s); sizes: {3}.".format(
                size, engine, num_nodes, ", ".join(layouts[num_nodes])))
    return problems


# -- waiting -------------------------------------------------------------------------------------


def wait_online(poll, timeout, describe):
    """Poll until ``status`` is ``online``; returns the :class:`WaitResult` (value = the last resource)."""
    return wait_for(poll, lambda r: r is not None and r.get("status") == "online", timeout,
                    failed=lambda r: "{0} disappeared while waiting".format(describe) if r is None else None,
                    describe=describe)


# -- connecting ----------------------------------------------------------------------------------


def decode_ca(certificate):
    """The PEM text of a CA as ``GET .../ca`` returns it (base64 of the PEM); PEM input passes through."""
    if not certificate:
        return ""
    if "-----BEGIN" in certificate:
        return certificate
    try:
        return base64.b64decode(certificate, validate=False).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("the CA certificate is neither PEM nor base64 of PEM")


def write_ca_file(pem, directory=None):
    """Write the CA PEM to a new file readable only by its owner (0600); returns its path."""
    fd, path = tempfile.mkstemp(prefix="do-db-ca-", suffix=".pem", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem.encode("ascii"))
    finally:
        os.close(fd)
    return path


def libpq_env(connection, ca_file=None, sslmode=None):
    """libpq environment variables for a connection object (``host, port, user, password, database``).

    With ``ca_file`` the server certificate is verified against it (``PGSSLMODE=verify-full``);
    without, TLS is required but not verified (``require``), as the API's URIs say.
    """
    env = {
        "PGHOST": str(connection["host"]),
        "PGPORT": str(connection["port"]),
        "PGUSER": str(connection["user"]),
        "PGPASSWORD": str(connection.get("password") or ""),
        "PGDATABASE": str(connection.get("database") or "defaultdb"),
        "PGSSLMODE": sslmode or ("verify-full" if ca_file else "require"),
    }
    if ca_file:
        env["PGSSLROOTCERT"] = ca_file
    return env


def cluster_for(m, absent_ok=False):
    """The cluster named by a module's ``cluster`` option (UUID or name); fails when missing unless ``absent_ok``."""
    cluster = find_cluster(m.client, m.params["cluster"])
    if cluster is None and not absent_ok:
        m.fail("No database cluster {0!r}.".format(m.params["cluster"]))
    return cluster


def resolve_vpc(m, ref):
    """A VPC UUID from a UUID or a VPC name (fails when no VPC has that name)."""
    if not ref or is_uuid(ref):
        return ref or None
    matches = [v for v in m.client.paginate("vpcs.list", "vpcs") if v.get("name") == ref]
    if not matches:
        m.fail("No VPC named {0!r}.".format(ref))
    return matches[0]["id"]
