#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_pool
short_description: Manage PgBouncer connection pools of a DigitalOcean PostgreSQL cluster
version_added: 0.1.0
description:
  - Makes sure a connection pool exists with the given mode, size, database and user, or does not exist.
  - An update always sends the complete pool (mode, size, database and user) because the API's update replaces the pool,
    and an update without the user would leave the pool without one.
  - The result never contains the pool's connection details; read them with
    M(appplatform.n8n.database_cluster_info) or the API.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The PostgreSQL cluster, by name or UUID.
    type: str
    required: true
  name:
    description: Name of the pool (clients use it as database name through PgBouncer).
    type: str
    required: true
  mode:
    description: PgBouncer pool mode. Required to create a pool.
    type: str
    choices: [session, transaction, statement]
  size:
    description: Number of server connections of the pool. Required to create a pool.
    type: int
  db:
    description: Database the pool connects to. Required to create a pool.
    type: str
  user:
    description: User the pool connects as. If not set on create, clients connect with their own credentials.
    type: str
  state:
    description: V(present) creates or updates the pool, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: A transaction pool for the n8n workers
  appplatform.n8n.database_pool:
    cluster: n8n-db
    name: n8n-pool
    mode: transaction
    size: 20
    db: n8n
    user: n8n
"""

RETURN = r"""
pool:
  description: The pool (name, mode, size, db, user) after the change, without connection details. Empty after a delete.
  returned: always
  type: dict
  sample:
    name: n8n-pool
    mode: transaction
    size: 20
    db: n8n
    user: n8n
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/pools 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import cluster_for, strip_secrets
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import changed_fields, desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

FIELDS = ("mode", "size", "db", "user")


def find_pool(m, cluster):
    body = m.client.get("databases.get_connection_pool", cluster["id"], m.params["name"])
    return body["pool"] if body else None


def reconcile(m):
    p = m.params
    cluster = cluster_for(m, absent_ok=p["state"] == "absent")
    current = find_pool(m, cluster) if cluster else None
    if p["state"] == "absent":
        if current is not None:
            m.diff.before = {k: current.get(k) for k in ("name",) + FIELDS}
            m.mark_changed()
            m.client.delete("databases.delete_connection_pool", cluster["id"], p["name"])
        m.set_result({})
        return
    desired = desired_from_params(p, FIELDS)
    if current is None:
        missing = [k for k in ("mode", "size", "db") if p[k] is None]
        if missing:
            m.fail("To create pool {0!r} set {1}.".format(p["name"], ", ".join(missing)))
        body = dict(desired, name=p["name"])
        m.diff.after = {k: body.get(k) for k in ("name",) + FIELDS}
        m.mark_changed()
        pool = create_once(
            lambda: (m.client.write("databases.add_connection_pool", cluster["id"], body=body) or {}).get("pool"),
            lambda: find_pool(m, cluster))[0]
        m.set_result(strip_secrets(pool) if pool else body)
        return
    changes = changed_fields(desired, current)
    m.diff.before = {k: current.get(k) for k in ("name",) + FIELDS}
    m.diff.after = dict(m.diff.before, **changes)
    if not changes:
        m.set_result(strip_secrets(current))
        return
    m.mark_changed()
    full = {k: m.diff.after.get(k) for k in FIELDS if m.diff.after.get(k) not in (None, "")}
    m.client.write("databases.update_connection_pool", cluster["id"], p["name"], body=full)
    if m.check_mode:
        m.set_result(strip_secrets(dict(current, **changes)))
        return
    m.set_result(strip_secrets(find_pool(m, cluster)))


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        mode=dict(type="str", choices=["session", "transaction", "statement"]),
        size=dict(type="int"),
        db=dict(type="str"),
        user=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="pool")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
