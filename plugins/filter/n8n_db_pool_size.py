# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: n8n_db_pool_size
short_description: Per-process PostgreSQL pool size that fits a managed cluster
version_added: 0.1.0
author: appplatform.n8n maintainers
description:
  - A DigitalOcean managed PostgreSQL cluster allows 25 connections per GB of RAM, 3 of them reserved.
    The RAM is read from the size slug (C(db-s-2vcpu-4gb) is 4 GB, so 97 connections).
  - Returns the largest C(DB_POSTGRESDB_POOL_SIZE) such that O(processes) n8n processes together stay within
    that limit, capped at O(pool_max). Fails when the cluster cannot give every process one connection.
positional: processes, pool_max
options:
  _input:
    description: The database size slug, for example C(db-s-1vcpu-2gb).
    type: str
    required: true
  processes:
    description: Number of n8n processes (every instance of main and of every worker).
    type: int
    required: true
  pool_max:
    description: Upper bound of the pool size per process.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Pool size for one main and four workers on a 2 GB cluster (47 connections) => 9
  ansible.builtin.debug:
    msg: "{{ 'db-s-1vcpu-2gb' | appplatform.n8n.n8n_db_pool_size(5) }}"
"""

RETURN = r"""
_value:
  description: The pool size per n8n process.
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.appplatform.n8n.plugins.plugin_utils._n8n_spec import (
    N8nSpecError,
    db_pool_size,
)


def n8n_db_pool_size(db_size, processes, pool_max=10):
    """Filter entry point."""
    try:
        return db_pool_size(str(db_size), int(processes), int(pool_max))
    except (N8nSpecError, ValueError, TypeError) as exc:
        raise AnsibleFilterError("n8n_db_pool_size: %s" % exc) from exc


class FilterModule:
    """appplatform.n8n.n8n_db_pool_size"""

    def filters(self):
        return {"n8n_db_pool_size": n8n_db_pool_size}
