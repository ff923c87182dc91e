#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: project_info
short_description: List DigitalOcean projects and their resources
version_added: 0.1.0
description:
  - Returns one project by O(id) or O(name), the default project with O(default=true), or all projects.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  id:
    description: UUID of one project.
    type: str
  name:
    description: Only the project with this name.
    type: str
  default:
    description: Only the account's default project.
    type: bool
    default: false
  resources:
    description: Also list each returned project's resources (C(urn), C(assigned_at), C(links), C(status)) under C(resources).
    type: bool
    default: false
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: The n8n project and what is in it
  appplatform.n8n.project_info:
    name: n8n-production
    resources: true
  register: found

- name: Its resource URNs
  ansible.builtin.debug:
    msg: "{{ found.projects[0].resources | map(attribute='urn') | list }}"
"""

RETURN = r"""
projects:
  description: The projects found (an empty list when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679
      name: n8n-production
      description: n8n workflow automation
      purpose: Operational / Developer tooling
      environment: Production
      is_default: false
      resources:
        - urn: do:space:n8n-prod-data
          assigned_at: "2026-12-03T12:00:00Z"
          links: {}
          status: ok
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule


def reconcile(m):
    if m.params["id"]:
        body = m.client.get("projects.get", m.params["id"])
        projects = [body["project"]] if body else []
    elif m.params["default"]:
        body = m.client.get("projects.get_default")
        projects = [body["project"]] if body else []
    else:
        projects = m.client.paginate("projects.list", "projects")
    projects = [p for p in projects
                if (not m.params["name"] or p.get("name") == m.params["name"])
                and (not m.params["default"] or p.get("is_default"))]
    if m.params["resources"]:
        for project in projects:
            project["resources"] = m.client.paginate("projects.list_resources", "resources", project["id"])
    m.set_result(projects)


def main():
    argument_spec = dict(
        id=dict(type="str"),
        name=dict(type="str"),
        default=dict(type="bool", default=False),
        resources=dict(type="bool", default=False),
    )
    m = DOModule(argument_spec, result_key="projects", mutually_exclusive=[("id", "default")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
