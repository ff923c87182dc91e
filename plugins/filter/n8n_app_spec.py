# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: n8n_app_spec
short_description: Render the DigitalOcean App Platform app spec for n8n
version_added: 0.1.0
author: appplatform.n8n maintainers
description:
  - Pure data, no API call. Turns a small settings dictionary into the App Platform app spec of an n8n
    deployment in the C(simple), C(queue) or C(production) tier, following what n8n 2.x reads today.
  - Every n8n component gets the same C(N8N_ENCRYPTION_KEY) (a C(SECRET) env), PostgreSQL over TLS with the
    cluster CA (C(DB_POSTGRESDB_SSL_CA) from the database component's bindable C(CA_CERT)) and certificate
    verification, a C(DB_POSTGRESDB_POOL_SIZE) that keeps all n8n processes within the cluster's connection
    limit, C(N8N_WEBHOOK_URL) and C(N8N_EDITOR_BASE_URL), C(N8N_PROXY_HOPS=1) and diagnostics off.
  - In the C(production) tier every worker is its own one-instance service paired with its own task runner,
    so a runner never talks to a load-balanced name with more than one instance.
  - Settings n8n no longer reads (for example C(N8N_BASIC_AUTH_*), C(WEBHOOK_URL), C(AWS_S3_*)) in
    C(extra_env) fail with the modern replacement named.
positional: tier
options:
  _input:
    description:
      - The settings, the variables of the P(appplatform.n8n.n8n_spec#role) role without their C(n8n_spec_)
        prefix, for example C(app_name), C(encryption_key), C(runners_auth_token), C(worker_count), C(domain).
      - Unset or V(null) values take the role's defaults.
    type: dict
    required: true
  tier:
    description: The deployment tier.
    type: str
    required: true
    choices: [simple, queue, production]
seealso:
  - plugin: appplatform.n8n.n8n_app_plan
    plugin_type: filter
  - plugin: appplatform.n8n.n8n_db_pool_size
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Render the spec of a production deployment with three worker/runner pairs
  ansible.builtin.set_fact:
    app_spec: >-
      {{ {'app_name': 'n8n', 'region': 'ams', 'encryption_key': key, 'runners_auth_token': token,
          'worker_count': 3, 'domain': 'n8n.example.com', 'alert_emails': ['ops@example.com']}
         | appplatform.n8n.n8n_app_spec('production') }}
"""

RETURN = r"""
_value:
  description:
    - The app spec, ready to be sent as C(spec) in C(POST /v2/apps) or C(PUT /v2/apps/{id}).
    - Alert e-mail destinations are not part of an app spec; see P(appplatform.n8n.n8n_app_plan#filter).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.appplatform.n8n.plugins.plugin_utils._n8n_spec import (
    N8nSpecError,
    render_app_spec,
)


def n8n_app_spec(settings, tier):
    """Filter entry point."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("n8n_app_spec: the input must be a dictionary of settings")
    try:
        return render_app_spec(tier, settings)
    except N8nSpecError as exc:
        raise AnsibleFilterError("n8n_app_spec: %s" % exc) from exc


class FilterModule:
    """appplatform.n8n.n8n_app_spec"""

    def filters(self):
        return {"n8n_app_spec": n8n_app_spec}
