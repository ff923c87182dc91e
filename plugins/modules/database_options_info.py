#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_options_info
short_description: List the engines, versions, regions and sizes DigitalOcean offers for managed databases
version_added: 0.1.0
description:
  - Returns C(GET /v2/databases/options), optionally for one O(engine), and the engines that can be used for new
    clusters (at least one version not past its end of availability).
  - M(appplatform.n8n.database_cluster) validates its input against the same data.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  engine:
    description: Only this engine (for example V(pg) or V(valkey)).
    type: str
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: What PostgreSQL offers
  appplatform.n8n.database_options_info:
    engine: pg
  register: pg_options

- name: Sizes for a 2-node cluster
  ansible.builtin.debug:
    msg: "{{ (pg_options.options.pg.layouts | selectattr('num_nodes', 'equalto', 2) | first).sizes }}"
"""

RETURN = r"""
options:
  description: Per engine, C(regions), C(versions), C(layouts) (C(num_nodes) and C(sizes)) as the API returns them.
  returned: always
  type: dict
  sample:
    pg:
      regions: [fra1, nyc3]
      versions: ["16", "17"]
      layouts:
        - num_nodes: 1
          sizes: [db-s-1vcpu-1gb, db-s-1vcpu-2gb]
version_availability:
  description: Per engine, each version's C(end_of_life) and C(end_of_availability).
  returned: always
  type: dict
creatable_engines:
  description: Engines that can be used for new clusters today.
  returned: always
  type: list
  elements: str
  sample: [pg, valkey]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import check_layout, get_options


def reconcile(m):
    body = get_options(m.client)
    options = body.get("options") or {}
    availability = body.get("version_availability") or {}
    engine = m.params["engine"]
    if engine:
        if engine not in options:
            m.fail("Engine {0!r} is not offered; engines: {1}.".format(engine, ", ".join(sorted(options))))
        options = {engine: options[engine]}
        availability = {engine: availability.get(engine) or []}
    m.result["version_availability"] = availability
    m.result["creatable_engines"] = sorted(e for e in options if not check_layout(body, e, creating=True))
    m.set_result(options)


def main():
    m = DOModule(dict(engine=dict(type="str")), result_key="options")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
