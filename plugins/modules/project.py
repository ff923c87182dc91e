#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: project
short_description: Create, update or delete a DigitalOcean project and assign resources to it
version_added: 0.1.0
description:
  - Makes sure a project (a group of resources in the DigitalOcean control panel) exists with the given
    description, purpose and environment, and that the given resources are in it; or that it does not exist.
  - The project is found by O(id) when given, otherwise by O(name) (project names are unique in an account).
  - Options left unset are left as they are.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description:
      - Name of the project, up to 175 characters, unique in the account.
      - With O(id), the project is renamed to this name.
    type: str
    required: true
  id:
    description:
      - UUID of an existing project to manage. Needed to rename a project.
    type: str
  description:
    description:
      - Free-form description, up to 255 characters.
    type: str
  purpose:
    description:
      - What the project is for. Required to create a project.
      - >-
        DigitalOcean knows C(Just trying out DigitalOcean), C(Class project / Educational purposes), C(Website or blog),
        C(Web Application), C(Service or API), C(Mobile Application), C(Machine learning / AI / Data processing), C(IoT)
        and C(Operational / Developer tooling); any other value is stored as C(Other: <value>), which this module treats
        as equal to the value.
    type: str
  environment:
    description:
      - The environment of the project's resources.
    type: str
    choices: [Development, Staging, Production]
  is_default:
    description:
      - Make this the account's default project, the one new resources go to when no project is given.
      - DigitalOcean does not allow unsetting the default directly; make another project the default instead.
    type: bool
  resources:
    description:
      - URNs of resources to put in the project, for example C(do:app:<uuid>), C(do:dbaas:<uuid>), C(do:space:<bucket>),
        C(do:vpc:<uuid>), C(do:domain:<name>).
      - Only the URNs not already in the project are assigned, so a re-run sends nothing.
      - Assigning a resource moves it out of the project it was in.
      - This list is not exclusive; resources of the project that are not listed stay where they are. DigitalOcean has no
        way to unassign a resource, only to move it to another project.
      - A URN DigitalOcean does not know fails the task (after the known ones were assigned).
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the project, V(absent) deletes it.
      - DigitalOcean only deletes an empty project, and never the default project; the task fails before any change
        when the project still has resources (move them to another project first).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: A project holding the n8n app, its database, bucket and VPC
  appplatform.n8n.project:
    name: n8n-production
    purpose: Operational / Developer tooling
    environment: Production
    description: n8n workflow automation
    resources:
      - "do:app:{{ app.id }}"
      - "do:dbaas:{{ database.id }}"
      - do:space:n8n-prod-data
      - "do:vpc:{{ vpc.id }}"

- name: Delete it (once its resources have moved to another project)
  appplatform.n8n.project:
    name: n8n-production
    state: absent
"""

RETURN = r"""
project:
  description:
    - The project as the API returns it (after the change; in check mode, as it would be). Empty after a delete.
    - When O(resources) is set, C(resources) lists the URNs in the project after the assignment.
  returned: always
  type: dict
  sample:
    id: 4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679
    owner_uuid: 99525febec065ca37b2ffe4f852fd2b2581895e7
    owner_id: 258992
    name: n8n-production
    description: n8n workflow automation
    purpose: Operational / Developer tooling
    environment: Production
    is_default: false
    created_at: "2026-12-03T12:00:00Z"
    updated_at: "2026-12-03T12:00:00Z"
    resources: ["do:app:5a4981aa-9653-4bd1-bef5-d6bff52042e4", "do:space:n8n-prod-data"]
assigned:
  description: URNs assigned to the project by this run (in check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: ["do:space:n8n-prod-data"]
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/projects 201", "POST /v2/projects/4e1bfbc3-dc3e-41f2-a18f-1b4d7ba71679/resources 200"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import changed_fields, desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

COMPARED = ("name", "description", "purpose", "environment", "is_default")
KNOWN_PURPOSES = frozenset([
    "Just trying out DigitalOcean", "Class project / Educational purposes", "Website or blog", "Web Application",
    "Service or API", "Mobile Application", "Machine learning / AI / Data processing", "IoT",
    "Operational / Developer tooling",
])
# In check mode a project that would be created has no id yet.
PLANNED_ID = "new"


def stored_purpose(purpose):
    """The purpose as DigitalOcean stores it: values it does not know become ``Other: <value>``."""
    if purpose is None:
        return None
    purpose = purpose.strip()
    if purpose in KNOWN_PURPOSES or purpose.startswith("Other: "):
        return purpose
    return "Other: " + purpose


def missing_urns(wanted, current):
    """URNs of ``wanted`` not in ``current``, without duplicates, in the order given."""
    have = set(current)
    missing = []
    for urn in wanted:
        urn = urn.strip()
        if urn and urn not in have and urn not in missing:
            missing.append(urn)
    return missing


def find_project(m):
    """The project by id, or by name; ``None`` when there is none."""
    if m.params["id"]:
        body = m.client.get("projects.get", m.params["id"])
        return body["project"] if body else None
    for project in m.client.paginate("projects.list", "projects"):
        if project.get("name") == m.params["name"]:
            return project
    return None


def current_urns(m, project):
    if project is None or not project.get("id"):
        return []
    return [r["urn"] for r in m.client.paginate("projects.list_resources", "resources", project["id"])]


def create_project(m):
    if not m.params["purpose"]:
        m.fail("purpose is required to create project {0!r}.".format(m.params["name"]))
    body = desired_from_params(m.params, ("name", "description", "purpose", "environment"))
    m.diff.after = dict(body, purpose=stored_purpose(body["purpose"]), is_default=bool(m.params["is_default"]))
    m.mark_changed()
    project = create_once(lambda: (m.client.write("projects.create", body=body) or {}).get("project"),
                          lambda: find_project(m))[0]
    if project is not None and m.params["is_default"] and not project.get("is_default"):
        project = m.client.write("projects.patch", project["id"], body={"is_default": True})["project"]
    return project if project is not None else dict(m.diff.after)


def update_project(m, current):
    desired = desired_from_params(m.params, COMPARED)
    if "purpose" in desired:
        desired["purpose"] = stored_purpose(desired["purpose"])
    if desired.get("is_default") is False and current.get("is_default"):
        m.fail("Project {0!r} is the default project: make another project the default instead.".format(current["name"]))
    changes = changed_fields(desired, current)
    m.diff.before = {k: current.get(k) for k in COMPARED}
    m.diff.after = dict(m.diff.before, **changes)
    if not changes:
        return current
    m.mark_changed()
    body = dict(changes)
    if "purpose" in body:
        body["purpose"] = m.params["purpose"].strip()  # as the user wrote it; DigitalOcean adds "Other: "
    updated = m.client.write("projects.patch", current["id"], body=body)
    return updated["project"] if updated else dict(current, **changes)


def assign_resources(m, project, before):
    """Assign the wanted URNs not yet in the project; returns the URNs now in it."""
    missing = missing_urns(m.params["resources"], before)
    m.diff.before["resources"] = list(before)
    m.diff.after["resources"] = before + missing
    m.result["assigned"] = missing
    if not missing:
        return list(before)
    m.mark_changed()
    answer = m.client.write("projects.assign_resources", project.get("id") or PLANNED_ID, body={"resources": missing})
    if answer is None:  # check mode
        return before + missing
    statuses = {r.get("urn"): r.get("status") for r in answer.get("resources") or []}
    refused = {urn: statuses.get(urn) for urn in missing if statuses.get(urn) not in ("ok", "assigned", "already_assigned")}
    if refused:
        m.result["assigned"] = [urn for urn in missing if urn not in refused]
        m.set_result(dict(project, resources=before + m.result["assigned"]))
        m.fail("DigitalOcean did not assign {0} to project {1!r}: {2}.".format(
            "these resources" if len(refused) > 1 else "this resource", project["name"],
            ", ".join("{0} ({1})".format(urn, status or "no status") for urn, status in refused.items())),
            refused=refused, project=m.result["project"], assigned=m.result["assigned"])
    return before + missing


def delete_project(m, current):
    m.diff.before = {k: current.get(k) for k in COMPARED}
    if current.get("is_default"):
        m.fail("Project {0!r} is the default project, which DigitalOcean does not delete: "
               "make another project the default first.".format(current["name"]))
    left = current_urns(m, current)
    if left:
        m.fail("Project {0!r} still has {1} resource(s) and DigitalOcean only deletes an empty project (HTTP 412): "
               "move them to another project first (resources cannot be unassigned).".format(current["name"], len(left)),
               resources=left)
    m.mark_changed()
    try:
        m.client.delete("projects.delete", current["id"])
    except APIError as exc:
        if exc.status == 412:
            m.fail("DigitalOcean refused to delete project {0!r} (HTTP 412): only an empty project can be deleted; "
                   "move its resources to another project first. {1}".format(current["name"], exc),
                   status_code=412, error_id=exc.error_id, request_id=exc.request_id)
        raise


def reconcile(m):
    m.result["assigned"] = []
    current = find_project(m)
    if m.params["state"] == "absent":
        if current is not None:
            delete_project(m, current)
        m.set_result({})
        return
    if current is None:
        if m.params["id"]:
            m.fail("No project with id {0}.".format(m.params["id"]))
        project = create_project(m)
        before = []
    else:
        before = current_urns(m, current) if m.params["resources"] is not None else []
        project = update_project(m, current)
    if m.params["resources"] is not None:
        project = dict(project, resources=assign_resources(m, project, before))
    m.set_result(project)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        id=dict(type="str"),
        description=dict(type="str"),
        purpose=dict(type="str"),
        environment=dict(type="str", choices=["Development", "Staging", "Production"]),
        is_default=dict(type="bool"),
        resources=dict(type="list", elements="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="project")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
