#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_info
short_description: List DigitalOcean VPCs
version_added: 0.1.0
description:
  - Returns one VPC by O(id), or all VPCs, optionally only those with a given O(name) or in a given O(region).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  id:
    description: UUID of one VPC.
    type: str
  name:
    description: Only VPCs with this name.
    type: str
  region:
    description: Only VPCs in this region.
    type: str
  members:
    description: Also list each returned VPC's members (apps, databases, droplets...) under C(members).
    type: bool
    default: false
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: All VPCs in fra1
  appplatform.n8n.vpc_info:
    region: fra1
  register: vpcs

- name: The id of the n8n VPC
  ansible.builtin.debug:
    msg: "{{ vpcs.vpcs | selectattr('name', 'equalto', 'n8n-prod') | map(attribute='id') | first }}"
"""

RETURN = r"""
vpcs:
  description: The VPCs found (an empty list when none match).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
      name: n8n-prod
      region: fra1
      ip_range: 10.110.0.0/20
      default: false
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule


def reconcile(m):
    if m.params["id"]:
        body = m.client.get("vpcs.get", m.params["id"])
        vpcs = [body["vpc"]] if body else []
    else:
        vpcs = m.client.paginate("vpcs.list", "vpcs")
    vpcs = [v for v in vpcs
            if (not m.params["name"] or v.get("name") == m.params["name"])
            and (not m.params["region"] or v.get("region") == m.params["region"])]
    if m.params["members"]:
        for vpc in vpcs:
            vpc["members"] = m.client.paginate("vpcs.list_members", "members", vpc["id"])
    m.set_result(vpcs)


def main():
    argument_spec = dict(
        id=dict(type="str"),
        name=dict(type="str"),
        region=dict(type="str"),
        members=dict(type="bool", default=False),
    )
    m = DOModule(argument_spec, result_key="vpcs")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
