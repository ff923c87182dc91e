#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_firewall
short_description: Manage the trusted sources (firewall rules) of a DigitalOcean managed database
version_added: 0.1.0
description:
  - Makes sure the listed trusted sources are allowed (or, with O(state=absent), not allowed) to connect to a
    managed database cluster.
  - Rules are compared as a set of (type, value) pairs, independent of order and of the ids and timestamps the API
    adds, so a second run with the same rules changes nothing.
  - The API replaces the whole list on every update; the module always sends the complete resulting list.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The database cluster, by name or UUID.
    type: str
    required: true
  rules:
    description: The trusted sources.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description:
          - V(ip_addr) (an IPv4 address or CIDR range), V(droplet) (a Droplet id), V(k8s) (a Kubernetes cluster
            UUID), V(tag) (a Droplet tag) or V(app) (an App Platform app UUID).
        type: str
        required: true
        choices: [ip_addr, droplet, k8s, tag, app]
      value:
        description: The address, id, UUID or tag.
        type: str
        required: true
      description:
        description: Free-form note on the rule. When set, a different description on the existing rule is updated.
        type: str
  purge:
    description:
      - With O(state=present), remove the trusted sources not listed in O(rules).
      - By default they are kept.
    type: bool
    default: false
  state:
    description: V(present) adds the listed rules, V(absent) removes them (and keeps the others).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: Only the n8n app may connect
  appplatform.n8n.database_firewall:
    cluster: n8n-db
    rules:
      - type: app
        value: "{{ n8n_app.app.id }}"
    purge: true

- name: Allow the office for a migration
  appplatform.n8n.database_firewall:
    cluster: n8n-db
    rules:
      - type: ip_addr
        value: 203.0.113.0/24
        description: office

- name: And remove it again
  appplatform.n8n.database_firewall:
    cluster: n8n-db
    rules:
      - type: ip_addr
        value: 203.0.113.0/24
    state: absent
"""

RETURN = r"""
rules:
  description: The cluster's trusted sources after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  sample:
    - uuid: 79f26d28-ea8a-41f2-8ad8-8cfcdd020095
      cluster_uuid: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
      type: app
      value: 4de7ac8b-495b-4884-9a69-1050c6793cd6
      created_at: "2026-12-03T12:00:00Z"
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["PUT /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/firewall 204"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import cluster_for


def key(rule):
    return (rule["type"], str(rule["value"]).strip())


def as_body(rule):
    body = {"type": rule["type"], "value": str(rule["value"]).strip()}
    if rule.get("description"):
        body["description"] = rule["description"]
    return body


def view(rules):
    """Rules for the diff: sorted, without ids and timestamps."""
    return sorted((as_body(r) for r in rules), key=lambda r: (r["type"], r["value"]))


def plan(current, wanted, purge, state):
    """The complete rule list to send, from the current rules and the wanted ones."""
    wanted_by_key = {key(r): r for r in wanted}
    if state == "absent":
        return [as_body(r) for r in current if key(r) not in wanted_by_key]
    result = []
    seen = set()
    for rule in current:
        k = key(rule)
        if k in wanted_by_key:
            merged = as_body(rule)
            if wanted_by_key[k].get("description") is not None:
                merged = as_body(dict(rule, description=wanted_by_key[k]["description"]))
            result.append(merged)
            seen.add(k)
        elif not purge:
            result.append(as_body(rule))
    result.extend(as_body(r) for k, r in wanted_by_key.items() if k not in seen)
    return result


def reconcile(m):
    cluster = cluster_for(m, absent_ok=m.params["state"] == "absent")
    if cluster is None:
        m.set_result([])
        return
    current = (m.client.call("databases.list_firewall_rules", cluster["id"]) or {}).get("rules") or []
    target = plan(current, m.params["rules"], m.params["purge"], m.params["state"])
    m.diff.before = {"rules": view(current)}
    m.diff.after = {"rules": view(target)}
    if m.diff.before == m.diff.after:
        m.set_result(current)
        return
    m.mark_changed()
    m.client.write("databases.update_firewall_rules", cluster["id"], body={"rules": target})
    if m.check_mode:
        m.set_result(target)
        return
    m.set_result((m.client.call("databases.list_firewall_rules", cluster["id"]) or {}).get("rules") or [])


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", default=[], options=dict(
            type=dict(type="str", required=True, choices=["ip_addr", "droplet", "k8s", "tag", "app"]),
            value=dict(type="str", required=True),
            description=dict(type="str"),
        )),
        purge=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="rules")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
