#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc
short_description: Create, update or delete a DigitalOcean VPC
version_added: 0.1.0
description:
  - Makes sure a VPC (a private network in one region) exists with the given name, description and IP range,
    or does not exist.
  - The VPC is found by O(id) when given, otherwise by O(name), which is unique in an account (O(region) only tells
    apart VPCs of the same name, should an account have any).
  - Options left unset are left as they are.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description:
      - Name of the VPC. Letters, digits, C(-) and C(.) only.
      - With O(id), the VPC is renamed to this name.
    type: str
    required: true
  id:
    description:
      - UUID of an existing VPC to manage. Needed to rename a VPC.
    type: str
  region:
    description:
      - Region slug, for example C(nyc3). Required to create a VPC; also narrows the search by name.
      - The region of an existing VPC cannot change.
    type: str
  description:
    description:
      - Free-form description, up to 255 characters.
    type: str
  ip_range:
    description:
      - Private IPv4 range in CIDR notation, from C(/28) to C(/16). If not set on create, DigitalOcean picks one.
      - It cannot change once the VPC exists; a different value fails the task before any change.
    type: str
  default:
    description:
      - Make this VPC the default of its region.
      - DigitalOcean does not allow unsetting the default directly; make another VPC the default instead.
    type: bool
  state:
    description:
      - V(present) creates or updates the VPC, V(absent) deletes it.
      - DigitalOcean refuses to delete a VPC that still has members or that is the default VPC of its region.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: A VPC for n8n and its databases
  appplatform.n8n.vpc:
    name: n8n-prod
    region: fra1
    description: n8n production network
    ip_range: 10.110.0.0/20

- name: Rename a VPC
  appplatform.n8n.vpc:
    id: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    name: n8n-production

- name: Delete it
  appplatform.n8n.vpc:
    name: n8n-prod
    region: fra1
    state: absent
"""

RETURN = r"""
vpc:
  description: The VPC as the API returns it (after the change; in check mode, as it would be). Empty after a delete.
  returned: always
  type: dict
  sample:
    id: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    urn: do:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4
    name: n8n-prod
    description: n8n production network
    region: fra1
    ip_range: 10.110.0.0/20
    default: false
    created_at: "2026-12-03T12:00:00Z"
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/vpcs 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import changed_fields, desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

COMPARED = ("name", "description", "region", "ip_range", "default")


def find_vpc(m):
    """The VPC by id, or by name (and region); ``None`` when there is none. Fails when the name is ambiguous."""
    if m.params["id"]:
        body = m.client.get("vpcs.get", m.params["id"])
        return body["vpc"] if body else None
    # VPC names are unique in an account, so a VPC of this name in another region is this one (and the
    # region comparison then says it cannot move); the region only tells apart names from before that rule.
    matches = [v for v in m.client.paginate("vpcs.list", "vpcs") if v.get("name") == m.params["name"]]
    if len(matches) > 1 and m.params["region"]:
        matches = [v for v in matches if v.get("region") == m.params["region"]]
    if len(matches) > 1:
        m.fail("{0} VPCs are named {1!r}: set region or id to tell them apart.".format(len(matches), m.params["name"]),
               vpcs=[{"id": v["id"], "region": v.get("region")} for v in matches])
    return matches[0] if matches else None


def create_vpc(m):
    if not m.params["region"]:
        m.fail("region is required to create VPC {0!r}.".format(m.params["name"]))
    body = desired_from_params(m.params, ("name", "region", "description", "ip_range"))
    m.diff.after = dict(body)
    m.mark_changed()
    vpc = create_once(lambda: (m.client.write("vpcs.create", body=body) or {}).get("vpc"), lambda: find_vpc(m))[0]
    if vpc is not None and m.params["default"]:
        vpc = m.client.write("vpcs.patch", vpc["id"], body={"default": True})["vpc"]
    m.set_result(vpc if vpc is not None else dict(body, default=bool(m.params["default"])))


def update_vpc(m, current):
    desired = desired_from_params(m.params, COMPARED)
    if desired.get("region") and desired["region"] != current.get("region"):
        m.fail("VPC {0!r} is in region {1}; a VPC cannot move to {2}.".format(
            current["name"], current.get("region"), desired["region"]))
    if desired.get("ip_range") and desired["ip_range"] != current.get("ip_range"):
        m.fail("VPC {0!r} has IP range {1}; the range of an existing VPC cannot change to {2}.".format(
            current["name"], current.get("ip_range"), desired["ip_range"]))
    if desired.get("default") is False and current.get("default"):
        m.fail("VPC {0!r} is the default VPC of {1}: make another VPC the default instead.".format(
            current["name"], current.get("region")))
    changes = changed_fields(desired, current)
    m.diff.before = {k: current.get(k) for k in COMPARED}
    m.diff.after = dict(m.diff.before, **changes)
    if not changes:
        m.set_result(current)
        return
    m.mark_changed()
    updated = m.client.write("vpcs.patch", current["id"], body=changes)
    m.set_result(updated["vpc"] if updated else dict(current, **changes))


def delete_vpc(m, current):
    m.diff.before = {k: current.get(k) for k in COMPARED}
    m.mark_changed()
    m.client.delete("vpcs.delete", current["id"])
    m.set_result({})


def reconcile(m):
    current = find_vpc(m)
    if m.params["state"] == "absent":
        if current is None:
            m.set_result({})
            return
        delete_vpc(m, current)
    elif current is None:
        if m.params["id"]:
            m.fail("No VPC with id {0}.".format(m.params["id"]))
        create_vpc(m)
    else:
        update_vpc(m, current)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        id=dict(type="str"),
        region=dict(type="str"),
        description=dict(type="str"),
        ip_range=dict(type="str"),
        default=dict(type="bool"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="vpc")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
