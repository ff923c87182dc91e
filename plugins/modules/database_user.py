#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_user
short_description: Manage users of a DigitalOcean managed database cluster
version_added: 0.1.0
description:
  - Makes sure a database user exists with the given settings, or does not exist. DigitalOcean generates the
    password.
  - The password is returned only with O(return_credentials=true); the task result is then marked like a
    C(no_log) result by the module's action plugin (shown censored at every verbosity, complete in a registered variable).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The database cluster, by name or UUID.
    type: str
    required: true
  name:
    description: Name of the user.
    type: str
    required: true
  pg_allow_replication:
    description: PostgreSQL only. Allow the user to replicate (logical replication, backups with C(pg_basebackup)).
    type: bool
  mysql_auth_plugin:
    description: MySQL only. Authentication plugin of the user.
    type: str
    choices: [mysql_native_password, caching_sha2_password]
  readonly:
    description: MySQL only. Create the user read-only. It cannot change for an existing user.
    type: bool
  reset_password:
    description: Have DigitalOcean generate a new password for the user (reported as a change on every run).
    type: bool
    default: false
  return_credentials:
    description: Return the user's password (and access certificate and key where the engine has them).
    type: bool
    default: false
  state:
    description: V(present) creates or updates the user, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: The n8n database user, with its password for the app spec
  appplatform.n8n.database_user:
    cluster: n8n-db
    name: n8n
    return_credentials: true
  register: n8n_user
"""

RETURN = r"""
contains_secrets:
  description:
    - V(true) when the result holds secrets. The module's action plugin then marks the task result C(no_log);
      Ansible shows it censored at every verbosity, while a registered variable keeps every value.
  returned: with O(return_credentials=true) (and not in check mode)
  type: bool
  sample: true
user:
  description: The user (name, role, settings); the password only with O(return_credentials=true). Empty after a delete.
  returned: always
  type: dict
  sample:
    name: n8n
    role: normal
    settings:
      pg_allow_replication: false
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/users 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import cluster_for, strip_secrets
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once


def find_user(m, cluster):
    body = m.client.get("databases.get_user", cluster["id"], m.params["name"])
    return body["user"] if body else None


def view(user):
    return {"name": user.get("name"), "pg_allow_replication": bool((user.get("settings") or {}).get("pg_allow_replication")),
            "mysql_auth_plugin": (user.get("mysql_settings") or {}).get("auth_plugin")}


def output(m, user):
    if user and m.params["return_credentials"] and not m.check_mode:
        m.keep_out_of_logs()
        m.set_result(user)
    else:
        m.set_result(strip_secrets(user) if user else {})


def create(m, cluster):
    p = m.params
    body = {"name": p["name"]}
    if p["pg_allow_replication"] is not None:
        body["settings"] = {"pg_allow_replication": p["pg_allow_replication"]}
    if p["mysql_auth_plugin"]:
        body["mysql_settings"] = {"auth_plugin": p["mysql_auth_plugin"]}
    if p["readonly"] is not None:
        body["readonly"] = p["readonly"]
    m.diff.after = view(body)
    m.mark_changed()
    user = create_once(lambda: (m.client.write("databases.add_user", cluster["id"], body=body) or {}).get("user"),
                       lambda: find_user(m, cluster))[0]
    output(m, user or body)


def update(m, cluster, current):
    p = m.params
    before = view(current)
    after = dict(before)
    calls = []
    if p["pg_allow_replication"] is not None and p["pg_allow_replication"] != before["pg_allow_replication"]:
        after["pg_allow_replication"] = p["pg_allow_replication"]
        calls.append(("databases.update_user", {"settings": {"pg_allow_replication": p["pg_allow_replication"]}}))
    reset = p["reset_password"]
    if p["mysql_auth_plugin"] and p["mysql_auth_plugin"] != before["mysql_auth_plugin"]:
        after["mysql_auth_plugin"] = p["mysql_auth_plugin"]
        reset = True
    if reset:
        body = {"mysql_settings": {"auth_plugin": after["mysql_auth_plugin"]}} if after["mysql_auth_plugin"] else {}
        calls.append(("databases.reset_auth", body))
        before["password_reset"], after["password_reset"] = False, True
    m.diff.before, m.diff.after = before, after
    if not calls:
        output(m, current)
        return
    m.mark_changed()
    user = current
    for operation, body in calls:
        answer = m.client.write(operation, cluster["id"], p["name"], body=body)
        if answer and answer.get("user"):
            user = answer["user"]
    output(m, user)


def reconcile(m):
    p = m.params
    cluster = cluster_for(m, absent_ok=p["state"] == "absent")
    current = find_user(m, cluster) if cluster else None
    if p["state"] == "absent":
        if current is not None:
            m.diff.before = view(current)
            m.mark_changed()
            m.client.delete("databases.delete_user", cluster["id"], p["name"])
        m.set_result({})
    elif current is None:
        create(m, cluster)
    else:
        update(m, cluster, current)


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        pg_allow_replication=dict(type="bool"),
        mysql_auth_plugin=dict(type="str", choices=["mysql_native_password", "caching_sha2_password"]),
        readonly=dict(type="bool"),
        reset_password=dict(type="bool", default=False, no_log=False),
        return_credentials=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="user")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
