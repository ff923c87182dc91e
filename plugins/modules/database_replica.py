#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_replica
short_description: Manage read-only replicas of a DigitalOcean managed database cluster
version_added: 0.1.0
description:
  - Makes sure a read-only replica of a cluster exists, or does not exist.
  - The API has no call to change a replica's size, region or storage; a replica that differs fails the task before
    any change (delete and re-create it to change them).
  - Not available for Valkey and Caching clusters.
  - The result never contains connection details.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The primary cluster, by name or UUID.
    type: str
    required: true
  name:
    description: Name of the replica.
    type: str
    required: true
  size:
    description: Node size slug, at least the primary's. Required to create a replica.
    type: str
  region:
    description: Region of the replica (the primary's if not set).
    type: str
  storage_size_mib:
    description: Storage of the replica in MiB.
    type: int
  vpc:
    description: VPC of the replica, by UUID or name (the primary's if not set).
    type: str
  tags:
    description: Tags set when the replica is created.
    type: list
    elements: str
  wait:
    description: Wait until the replica is C(online) after creating it. Returns as soon as it is.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for O(wait).
    type: int
    default: 1800
  state:
    description: V(present) creates the replica, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: A read replica for reporting on n8n executions
  appplatform.n8n.database_replica:
    cluster: n8n-db
    name: n8n-db-read
    size: db-s-1vcpu-2gb
"""

RETURN = r"""
replica:
  description: The replica, without connection details. Empty after a delete.
  returned: always
  type: dict
  sample:
    id: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
    name: n8n-db-read
    region: fra1
    size: db-s-1vcpu-2gb
    status: online
waited:
  description: Seconds spent waiting for the replica to be online (0 when not waiting).
  returned: always
  type: float
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/replicas 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import (
    cluster_for,
    resolve_vpc,
    strip_secrets,
    wait_online,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

COMPARED = ("name", "size", "region", "storage_size_mib", "private_network_uuid")


def find_replica(m, cluster):
    body = m.client.get("databases.get_replica", cluster["id"], m.params["name"])
    return body["replica"] if body else None


def create(m, cluster):
    p = m.params
    if not p["size"]:
        m.fail("To create replica {0!r} set size.".format(p["name"]))
    body = desired_from_params(p, ("name", "size", "region", "storage_size_mib", "tags"))
    vpc = resolve_vpc(m, p["vpc"])
    if vpc:
        body["private_network_uuid"] = vpc
    m.diff.after = {k: body.get(k) for k in COMPARED}
    m.mark_changed()
    replica = create_once(
        lambda: (m.client.write("databases.create_replica", cluster["id"], body=body) or {}).get("replica"),
        lambda: find_replica(m, cluster))[0]
    if replica is None:
        m.set_result(dict(body, status="creating"))
        return
    if p["wait"]:
        result = wait_online(lambda: find_replica(m, cluster), p["wait_timeout"], "replica {0}".format(p["name"]))
        m.result["waited"] = round(result.elapsed, 3)
        replica = result.value
    m.set_result(strip_secrets(replica))


def check_unchanged(m, current):
    p = m.params
    desired = desired_from_params(p, ("size", "region", "storage_size_mib"))
    vpc = resolve_vpc(m, p["vpc"])
    if vpc:
        desired["private_network_uuid"] = vpc
    different = sorted(k for k, v in desired.items() if v != current.get(k))
    if different:
        m.fail("Replica {0!r} differs in {1}; the API cannot change a replica in place: delete and re-create it.".format(
            p["name"], ", ".join(different)))
    if p["tags"] is not None and sorted(p["tags"]) != sorted(current.get("tags") or []):
        m.module.warn("Tags of an existing replica are not changed by this module.")


def reconcile(m):
    p = m.params
    m.result["waited"] = 0
    cluster = cluster_for(m, absent_ok=p["state"] == "absent")
    current = find_replica(m, cluster) if cluster else None
    if p["state"] == "absent":
        if current is not None:
            m.diff.before = {k: current.get(k) for k in COMPARED}
            m.mark_changed()
            m.client.delete("databases.destroy_replica", cluster["id"], p["name"])
        m.set_result({})
    elif current is None:
        create(m, cluster)
    else:
        check_unchanged(m, current)
        m.set_result(strip_secrets(current))


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        size=dict(type="str"),
        region=dict(type="str"),
        storage_size_mib=dict(type="int"),
        vpc=dict(type="str"),
        tags=dict(type="list", elements="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="replica")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
