#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: database_config
short_description: Set advanced engine settings of a DigitalOcean managed database cluster
version_added: 0.1.0
description:
  - Makes sure the given engine settings (PostgreSQL C(work_mem), Valkey C(valkey_maxmemory_policy)...) have the
    given values. Only the keys given are compared and sent (C(PATCH)); the others are left as they are.
  - Values are compared after conversion to the type of the current value, so V("64") equals V(64).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  cluster:
    description: The database cluster, by name or UUID.
    type: str
    required: true
  config:
    description:
      - Settings to apply, as the API names them (see DigitalOcean's advanced configuration for each engine).
      - Nested settings (for example C(pgbouncer)) are compared key by key.
    type: dict
    required: true
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: PostgreSQL settings for n8n
  appplatform.n8n.database_config:
    cluster: n8n-db
    config:
      idle_in_transaction_session_timeout: 600000
      timezone: UTC

- name: Valkey must not evict n8n's queue
  appplatform.n8n.database_config:
    cluster: n8n-queue
    config:
      valkey_maxmemory_policy: noeviction
"""

RETURN = r"""
config:
  description: The cluster's complete engine configuration after the change (in check mode, as it would be).
  returned: always
  type: dict
  sample:
    work_mem: 4
    timezone: UTC
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["PATCH /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/config 200"]
"""

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._database import cluster_for


def coerce(value, like):
    """``value`` converted to the type of ``like`` (the current value) when it can be."""
    try:
        if isinstance(like, bool):
            return boolean(value, strict=True)
        if isinstance(like, int) and not isinstance(value, bool):
            return int(value)
        if isinstance(like, float) and not isinstance(value, bool):
            return float(value)
        if isinstance(like, str) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    except (TypeError, ValueError):
        return value
    return value


def changes(desired, current):
    """The keys of ``desired`` whose (coerced) value differs from ``current``; nested dicts key by key."""
    out = {}
    for k, v in desired.items():
        have = current.get(k)
        if isinstance(v, dict) and isinstance(have, dict):
            sub = changes(v, have)
            if sub:
                out[k] = dict(have, **sub)
            continue
        v = coerce(v, have)
        if v != have:
            out[k] = v
    return out


def reconcile(m):
    cluster = cluster_for(m)
    current = (m.client.call("databases.get_config", cluster["id"]) or {}).get("config") or {}
    patch = changes(m.params["config"], current)
    m.diff.before = {k: current.get(k) for k in m.params["config"]}
    m.diff.after = dict(m.diff.before, **patch)
    if not patch:
        m.set_result(current)
        return
    m.mark_changed()
    m.client.write("databases.patch_config", cluster["id"], body={"config": patch})
    if m.check_mode:
        m.set_result(dict(current, **patch))
        return
    m.set_result((m.client.call("databases.get_config", cluster["id"]) or {}).get("config") or {})


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        config=dict(type="dict", required=True),
    )
    m = DOModule(argument_spec, result_key="config")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
