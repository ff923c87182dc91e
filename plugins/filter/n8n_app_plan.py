# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: n8n_app_plan
short_description: Resolved, non-secret facts about an n8n deployment
version_added: 0.1.0
author: appplatform.n8n maintainers
description:
  - Takes the same input as P(appplatform.n8n.n8n_app_spec#filter) and returns what the infrastructure roles
    need that is not part of the app spec, with every default resolved (size presets from the
    workflows per day, database size and standby node count, Valkey cluster, pool size, runner pairs, alert
    e-mails). Contains no secret.
positional: tier
options:
  _input:
    description: The settings, as for P(appplatform.n8n.n8n_app_spec#filter).
    type: dict
    required: true
  tier:
    description: The deployment tier.
    type: str
    required: true
    choices: [simple, queue, production]
"""

EXAMPLES = r"""
- name: Show the database size and pool size chosen for 800 workflows per day
  ansible.builtin.debug:
    msg: >-
      {{ ({'app_name': 'n8n', 'encryption_key': key, 'workflows_per_day': 800}
          | appplatform.n8n.n8n_app_plan('queue')).postgres }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    tier:
      description: The tier.
      type: str
    n8n_version:
      description: The pinned n8n (and runners) image tag.
      type: str
    instance_size:
      description: Instance size of the main service.
      type: str
    worker_count:
      description: Number of workers (worker/runner pairs with external runners); 0 in the simple tier.
      type: int
    n8n_processes:
      description: Number of n8n processes that open database connections.
      type: int
    postgres:
      description: C(component), C(cluster_name), C(version), C(size), C(num_nodes), C(connection_limit), C(pool_size).
      type: dict
    valkey:
      description: C(component), C(cluster_name), C(version), C(size); V(null) in the simple tier.
      type: dict
    runners_mode:
      description: V(external) (a runner component per n8n process that runs code) or V(internal).
      type: str
    runner_pairs:
      description:
        - The C(broker) (the n8n component whose task broker the runner uses) and C(runner) component names of
          every pair; empty with internal runners.
      type: list
      elements: dict
    alert_emails:
      description: E-mail destinations to assign to the app's alerts after deployment.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.appplatform.n8n.plugins.plugin_utils._n8n_spec import (
    N8nSpecError,
    render_plan,
)


def n8n_app_plan(settings, tier):
    """Filter entry point."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("n8n_app_plan: the input must be a dictionary of settings")
    try:
        return render_plan(tier, settings)
    except N8nSpecError as exc:
        raise AnsibleFilterError("n8n_app_plan: %s" % exc) from exc


class FilterModule:
    """appplatform.n8n.n8n_app_plan"""

    def filters(self):
        return {"n8n_app_plan": n8n_app_plan}
