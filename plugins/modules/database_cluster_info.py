#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_cluster_info
short_description: Describe DigitalOcean managed database clusters, optionally with their connection details
version_added: 0.1.0
description:
  - Returns one cluster by O(name) or O(id), or all clusters (optionally only those with tag O(tag_name)).
  - Connection details (host, port, user, password, database, URI) and the cluster's CA certificate are returned
    only with O(connection_details=true).
  - With O(connection_details=true) the task result is marked C(no_log) by the module's action plugin, so Ansible shows it
    censored at every verbosity (including C(-vvv)) and in callbacks, while a registered variable still holds every
    value. Pass those values on only to tasks that themselves use C(no_log) or options marked secret.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description: Name of one cluster.
    type: str
  id:
    description: UUID of one cluster.
    type: str
  tag_name:
    description: Only clusters with this tag.
    type: str
  connection_details:
    description:
      - Also return C(connection), C(private_connection) (and standby ones when the API has them), the users'
        passwords and C(ca_certificate) (PEM).
    type: bool
    default: false
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: Connection details of the n8n database (kept out of the output)
  appplatform.n8n.database_cluster_info:
    name: n8n-db
    connection_details: true
  register: n8n_db

- name: Use them in a task that does not log them
  ansible.builtin.set_fact:
    n8n_db_host: "{{ n8n_db.databases[0].connection.host }}"
  no_log: true
"""

RETURN = r"""
contains_secrets:
  description:
    - V(true) when the result holds secrets. The module's action plugin then marks the task result C(no_log);
      Ansible shows it censored at every verbosity, while a registered variable keeps every value.
  returned: with O(connection_details=true)
  type: bool
  sample: true
databases:
  description: The clusters found (an empty list when none match).
  returned: always
  type: list
  elements: dict
  contains:
    connection:
      description: Public connection details. Only with O(connection_details=true).
      type: dict
      returned: when requested
      sample:
        host: n8n-db-do-user-1-0.db.ondigitalocean.com
        port: 25060
        user: doadmin
        password: "********"
        database: defaultdb
        ssl: true
        uri: postgresql://doadmin:********@n8n-db-do-user-1-0.db.ondigitalocean.com:25060/defaultdb?sslmode=require
    private_connection:
      description: Connection details inside the VPC. Only with O(connection_details=true).
      type: dict
      returned: when requested
    ca_certificate:
      description: The cluster's CA certificate (PEM) to verify the server. Only with O(connection_details=true).
      type: str
      returned: when requested
  sample:
    - id: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
      name: n8n-db
      engine: pg
      version: "17"
      status: online
      region: fra1
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import decode_ca, list_clusters, strip_secrets


def reconcile(m):
    p = m.params
    if p["id"]:
        body = m.client.get("databases.get_cluster", p["id"])
        clusters = [body["database"]] if body else []
    else:
        clusters = list_clusters(m.client, tag_name=p["tag_name"])
    clusters = [c for c in clusters
                if (not p["name"] or c.get("name") == p["name"])
                and (not p["tag_name"] or p["tag_name"] in (c.get("tags") or []))]
    if not p["connection_details"]:
        m.set_result([strip_secrets(c) for c in clusters])
        return
    m.keep_out_of_logs()
    for cluster in clusters:
        ca = m.client.get("databases.get_ca", cluster["id"])
        try:
            cluster["ca_certificate"] = decode_ca(((ca or {}).get("ca") or {}).get("certificate"))
        except ValueError as exc:
            m.fail("Database cluster {0!r}: {1}".format(cluster.get("name"), exc))
    m.set_result(clusters)


def main():
    argument_spec = dict(
        name=dict(type="str"),
        id=dict(type="str"),
        tag_name=dict(type="str"),
        connection_details=dict(type="bool", default=False),
    )
    m = DOModule(argument_spec, result_key="databases", mutually_exclusive=[("name", "id")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
