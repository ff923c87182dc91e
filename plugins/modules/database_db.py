#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_db
short_description: Manage databases inside a DigitalOcean managed database cluster
version_added: 0.1.0
description:
  - Makes sure a database (for example n8n's) exists in a cluster, or does not exist.
  - A database has only a name; deleting it destroys its data.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The database cluster, by name or UUID.
    type: str
    required: true
  name:
    description: Name of the database.
    type: str
    required: true
  state:
    description: V(present) creates the database, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: The n8n database
  appplatform.n8n.database_db:
    cluster: n8n-db
    name: n8n
"""

RETURN = r"""
db:
  description: The database (C({name})). Empty after a delete.
  returned: always
  type: dict
  sample:
    name: n8n
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/dbs 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import cluster_for
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once


def find_db(m, cluster):
    body = m.client.get("databases.get", cluster["id"], m.params["name"])
    return body["db"] if body else None


def reconcile(m):
    p = m.params
    cluster = cluster_for(m, absent_ok=p["state"] == "absent")
    current = find_db(m, cluster) if cluster else None
    if p["state"] == "absent":
        if current is not None:
            m.diff.before = {"name": current["name"]}
            m.mark_changed()
            m.client.delete("databases.delete", cluster["id"], p["name"])
        m.set_result({})
        return
    if current is not None:
        m.set_result(current)
        return
    body = {"name": p["name"]}
    m.diff.after = dict(body)
    m.mark_changed()
    db = create_once(lambda: (m.client.write("databases.add", cluster["id"], body=body) or {}).get("db"),
                     lambda: find_db(m, cluster))[0]
    m.set_result(db or body)


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="db")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
