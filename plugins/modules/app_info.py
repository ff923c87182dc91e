#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app_info
short_description: Describe DigitalOcean App Platform apps, their deployments and component health
version_added: 0.1.0
description:
  - Returns one app by O(id) or O(name), or all apps, with the live URL, the active and in-progress deployments,
    the component names and, with O(health), the health of each component (C(/v2/apps/{id}/health)).
  - SECRET env values are returned as the API returns them, C(EV[...]) ciphertext.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  id:
    description: ID of one app.
    type: str
  name:
    description: Name of one app.
    type: str
  health:
    description: Also return each component's health (state, ready and desired replicas, CPU and memory usage).
    type: bool
    default: true
  deployments:
    description: Also return the app's most recent deployments (ID, phase, cause, creation time), newest first.
    type: int
    default: 0
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: The n8n app
  appplatform.n8n.app_info:
    name: n8n
    deployments: 5
  register: info

- name: Fail when a component is unhealthy
  ansible.builtin.assert:
    that: info.apps[0].health | selectattr('state', 'ne', 'HEALTHY') | list | length == 0
"""

RETURN = r"""
apps:
  description: The apps found (an empty list when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf
      name: n8n
      live_url: https://n8n-abcde.ondigitalocean.app
      default_ingress: https://n8n-abcde.ondigitalocean.app
      active_deployment: {id: b6bdf840-2854-4f87-a36c-5f231c617c84, phase: ACTIVE}
      in_progress_deployment: null
      components: {services: [n8n], databases: [n8n-db]}
      health: [{name: n8n, state: HEALTHY, replicas_ready: 1, replicas_desired: 1}]
      deployments: [{id: b6bdf840-2854-4f87-a36c-5f231c617c84, phase: ACTIVE, cause: app spec updated}]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._apps import find_app, summary
from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule


def describe(m, app):
    out = summary(app)
    if m.params["health"]:
        body = m.client.get("apps.get_health", app["id"]) or {}
        out["health"] = (body.get("app_health") or {}).get("components") or []
    if m.params["deployments"]:
        body = m.client.call("apps.list_deployments", app["id"], per_page=min(200, m.params["deployments"])) or {}
        out["deployments"] = [{"id": d.get("id"), "phase": d.get("phase"), "cause": d.get("cause"),
                               "cloned_from": d.get("cloned_from"), "created_at": d.get("created_at"),
                               "phase_last_updated_at": d.get("phase_last_updated_at")}
                              for d in (body.get("deployments") or [])[:m.params["deployments"]]]
    return out


def reconcile(m):
    if m.params["id"] or m.params["name"]:
        app = find_app(m.client, name=m.params["name"], app_id=m.params["id"])
        apps = [app] if app else []
    else:
        apps = m.client.paginate("apps.list", "apps")
    m.set_result([describe(m, a) for a in apps])


def main():
    argument_spec = dict(
        id=dict(type="str"),
        name=dict(type="str"),
        health=dict(type="bool", default=True),
        deployments=dict(type="int", default=0),
    )
    m = DOModule(argument_spec, result_key="apps", mutually_exclusive=[("id", "name")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
