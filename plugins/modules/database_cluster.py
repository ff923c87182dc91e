#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_cluster
short_description: Create, resize or delete a DigitalOcean managed database cluster
version_added: 0.1.0
description:
  - Makes sure a managed database cluster (PostgreSQL, Valkey, or any engine the API offers) exists with the given
    engine, version, size, node count and storage, or does not exist.
  - Engines, versions, regions, sizes and node counts are checked against C(GET /v2/databases/options) before any
    change, so the module does not carry a list that goes stale.
  - Creating an engine DigitalOcean no longer provisions fails before any change (C(redis) since 2025-04-30; use
    C(valkey)). An existing cluster of such an engine is managed normally.
  - Size, node count and storage of an existing cluster change through the resize call, never by re-creating it.
    A higher O(version) upgrades the major version in place.
  - The result never contains connection details or passwords; use M(appplatform.n8n.database_cluster_info)
    with O(appplatform.n8n.database_cluster_info#module:connection_details=true) to get them.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description: Name of the cluster (unique in the account).
    type: str
    required: true
  engine:
    description:
      - Engine slug, for example V(pg) or V(valkey). Required to create a cluster; it cannot change.
      - Valid values are those of C(GET /v2/databases/options).
    type: str
  version:
    description:
      - Major version, for example V(17). If not set on create, DigitalOcean's default version is used.
      - A higher version than the cluster's upgrades it in place; a lower one fails.
    type: str
  size:
    description: Node size slug, for example V(db-s-1vcpu-2gb). Required to create a cluster.
    type: str
  region:
    description: Region slug, for example V(fra1). Required to create a cluster; it cannot change.
    type: str
  num_nodes:
    description:
      - Number of nodes; more than one adds standby nodes (high availability). V(1) when not set on create.
    type: int
  storage_size_mib:
    description: Storage in MiB. It can grow, not shrink.
    type: int
  vpc:
    description:
      - VPC of the cluster, by UUID or by name. If not set on create, the region's default VPC is used.
      - It cannot change once the cluster exists.
    type: str
  tags:
    description: Tags set when the cluster is created. Tags of an existing cluster are not changed.
    type: list
    elements: str
  project_id:
    description: UUID of the project the cluster is created in (the default project if not set).
    type: str
  wait:
    description: Wait until the cluster is C(online) after creating or resizing it. Returns as soon as it is.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for O(wait).
    type: int
    default: 1800
  confirm_delete:
    description:
      - With O(state=absent), the name of the cluster again. Deleting a cluster destroys all its data (for n8n,
        workflows, credentials and executions), so the module refuses to delete without it.
    type: str
  state:
    description: V(present) creates or updates the cluster, V(absent) deletes it (see O(confirm_delete)).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: PostgreSQL for n8n, with a standby node
  appplatform.n8n.database_cluster:
    name: n8n-db
    engine: pg
    version: "17"
    region: fra1
    size: db-s-1vcpu-2gb
    num_nodes: 2
    vpc: n8n-prod

- name: Valkey for the queue mode
  appplatform.n8n.database_cluster:
    name: n8n-queue
    engine: valkey
    region: fra1
    size: db-s-1vcpu-1gb

- name: Grow the database (resize in place)
  appplatform.n8n.database_cluster:
    name: n8n-db
    size: db-s-2vcpu-4gb
    storage_size_mib: 61440

- name: Delete it, with all its data
  appplatform.n8n.database_cluster:
    name: n8n-db
    state: absent
    confirm_delete: n8n-db
"""

RETURN = r"""
database:
  description:
    - The cluster as the API returns it, without connection details and passwords (after the change; in check
      mode, as it would be). Empty after a delete.
  returned: always
  type: dict
  sample:
    id: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
    name: n8n-db
    engine: pg
    version: "17"
    size: db-s-1vcpu-2gb
    num_nodes: 2
    region: fra1
    status: online
    storage_size_mib: 30720
    private_network_uuid: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
waited:
  description: Seconds spent waiting for the cluster to be online (0 when not waiting).
  returned: always
  type: float
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/databases 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import (
    check_layout,
    find_cluster,
    get_options,
    list_clusters,
    resolve_vpc,
    strip_secrets,
    wait_online,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

COMPARED = ("name", "engine", "version", "size", "region", "num_nodes", "storage_size_mib", "private_network_uuid")
RESIZE = ("size", "num_nodes", "storage_size_mib")


def find(m):
    cluster = find_cluster(m.client, m.params["name"])
    return cluster if cluster is None or cluster.get("name") == m.params["name"] else None


def validate(m, engine, creating, **layout):
    problems = check_layout(get_options(m.client), engine, creating=creating, **layout)
    if problems:
        m.fail("Database cluster {0!r}: {1}".format(m.params["name"], " ".join(problems)))


def wait(m, cluster_id):
    if not m.params["wait"] or m.check_mode or cluster_id is None:
        return None
    result = wait_online(lambda: (m.client.get("databases.get_cluster", cluster_id) or {}).get("database"),
                         m.params["wait_timeout"], "database cluster {0}".format(m.params["name"]))
    m.result["waited"] = round(result.elapsed, 3)
    return result.value


def create(m):
    p = m.params
    missing = [k for k in ("engine", "region", "size") if not p[k]]
    if missing:
        m.fail("To create database cluster {0!r} set {1}.".format(p["name"], ", ".join(missing)))
    num_nodes = p["num_nodes"] or 1
    validate(m, p["engine"], True, region=p["region"], size=p["size"], num_nodes=num_nodes, version=p["version"])
    body = desired_from_params(p, ("name", "engine", "version", "size", "region", "storage_size_mib", "tags",
                                   "project_id"))
    body["num_nodes"] = num_nodes
    vpc = resolve_vpc(m, m.params["vpc"])
    if vpc:
        body["private_network_uuid"] = vpc
    m.diff.after = {k: body.get(k) for k in COMPARED}
    m.mark_changed()

    def lookup():
        return next((c for c in list_clusters(m.client) if c.get("name") == p["name"]), None)

    cluster = create_once(lambda: (m.client.write("databases.create_cluster", body=body) or {}).get("database"),
                          lookup)[0]
    if cluster is None:
        m.set_result(dict(body, status="creating"))
        return
    cluster = wait(m, cluster["id"]) or cluster
    m.set_result(strip_secrets(cluster))


def update(m, current):
    p = m.params
    for key in ("engine", "region"):
        if p[key] and p[key] != current.get(key):
            m.fail("Database cluster {0!r} has {1} {2}; it cannot change to {3}.".format(
                p["name"], key, current.get(key), p[key]))
    vpc = resolve_vpc(m, m.params["vpc"])
    if vpc and vpc != current.get("private_network_uuid"):
        m.fail("Database cluster {0!r} is in VPC {1}; it cannot move to {2}.".format(
            p["name"], current.get("private_network_uuid"), vpc))
    if p["storage_size_mib"] is not None and p["storage_size_mib"] < (current.get("storage_size_mib") or 0):
        m.fail("Database cluster {0!r} has {1} MiB of storage; storage cannot shrink to {2} MiB.".format(
            p["name"], current.get("storage_size_mib"), p["storage_size_mib"]))
    upgrade = None
    if p["version"] and str(p["version"]) != str(current.get("version")):
        try:
            lower = float(p["version"]) < float(current.get("version"))
        except (TypeError, ValueError):
            lower = False
        if lower:
            m.fail("Database cluster {0!r} runs version {1}; it cannot be downgraded to {2}.".format(
                p["name"], current.get("version"), p["version"]))
        upgrade = str(p["version"])
    resize = {k: p[k] for k in RESIZE if p[k] is not None and p[k] != current.get(k)}
    if p["tags"] is not None and sorted(p["tags"]) != sorted(current.get("tags") or []):
        m.module.warn("Tags of an existing database cluster are not changed by this module.")
    m.diff.before = {k: current.get(k) for k in COMPARED}
    m.diff.after = dict(m.diff.before, **resize)
    if upgrade:
        m.diff.after["version"] = upgrade
    if not resize and not upgrade:
        m.set_result(strip_secrets(current))
        return
    m.mark_changed()
    if resize:
        layout = {k: resize.get(k, current.get(k)) for k in ("size", "num_nodes")}
        validate(m, current["engine"], False, **layout)
        if current.get("status") != "online" and not m.check_mode:
            if not p["wait"]:
                m.fail("Database cluster {0!r} is {1}; it can be resized once online (or set wait).".format(
                    p["name"], current.get("status")))
            wait(m, current["id"])
        body = dict(layout)
        storage = resize.get("storage_size_mib", current.get("storage_size_mib"))
        if storage:
            body["storage_size_mib"] = storage
        m.client.write("databases.update_cluster_size", current["id"], body=body)
    if upgrade:
        m.client.write("databases.update_major_version", current["id"], body={"version": upgrade})
    if m.check_mode:
        m.set_result(strip_secrets(dict(current, **m.diff.after)))
        return
    cluster = wait(m, current["id"]) or (m.client.get("databases.get_cluster", current["id"]) or {}).get("database")
    m.set_result(strip_secrets(cluster or dict(current, **m.diff.after)))


def delete(m, current):
    if m.params["confirm_delete"] != current["name"]:
        m.fail("Deleting database cluster {0!r} destroys all its data: set confirm_delete to its name to "
               "confirm.".format(current["name"]))
    m.diff.before = {k: current.get(k) for k in COMPARED}
    m.mark_changed()
    m.client.delete("databases.destroy_cluster", current["id"])
    m.set_result({})


def reconcile(m):
    m.result["waited"] = 0
    current = find(m)
    if m.params["state"] == "absent":
        if current is None:
            m.set_result({})
            return
        delete(m, current)
    elif current is None:
        create(m)
    else:
        update(m, current)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        engine=dict(type="str"),
        version=dict(type="str"),
        size=dict(type="str"),
        region=dict(type="str"),
        num_nodes=dict(type="int"),
        storage_size_mib=dict(type="int"),
        vpc=dict(type="str"),
        tags=dict(type="list", elements="str"),
        project_id=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        confirm_delete=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="database")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
