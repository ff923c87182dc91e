#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cdn_endpoint
short_description: Create, update, purge or delete the CDN endpoint of a Spaces bucket
version_added: 0.1.0
description:
  - Makes sure a Spaces bucket is (or is not) served through DigitalOcean's CDN, with the given cache TTL and
    optionally a custom domain with its certificate.
  - The endpoint is found by its origin, C(<bucket>.<region>.digitaloceanspaces.com) (one endpoint per bucket).
  - O(purge) removes files from the CDN cache. It is an action, sent every time it is given.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  bucket:
    description:
      - Name of the Spaces bucket served by the CDN.
    type: str
    required: true
  region:
    description:
      - Region of the bucket, for example C(ams3).
    type: str
    required: true
  ttl:
    description:
      - Seconds the edge servers cache content. A new endpoint gets 3600 when not set.
    type: int
    choices: [60, 600, 3600, 86400, 604800]
  custom_domain:
    description:
      - A subdomain of yours (for example C(static.example.com)) that serves the content; needs O(certificate_id).
    type: str
  certificate_id:
    description:
      - ID of a DigitalOcean-managed TLS certificate for O(custom_domain).
    type: str
  purge:
    description:
      - Paths to purge from the CDN cache, for example C(assets/app.css) or C(assets/*); V(["*"]) purges everything.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the endpoint, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: Serve the n8n storage bucket through the CDN, cached for a day
  appplatform.n8n.cdn_endpoint:
    bucket: n8n-storage-ams3
    region: ams3
    ttl: 86400

- name: With a custom domain
  appplatform.n8n.cdn_endpoint:
    bucket: n8n-storage-ams3
    region: ams3
    custom_domain: files.example.com
    certificate_id: 892071a0-bb95-49bc-8021-3afd67a210bf

- name: Purge files after a release
  appplatform.n8n.cdn_endpoint:
    bucket: n8n-storage-ams3
    region: ams3
    purge: ["assets/*"]
"""

RETURN = r"""
endpoint:
  description: The CDN endpoint as the API returns it (after the change; in check mode, as it would be). Empty after a delete.
  returned: always
  type: dict
  sample:
    id: 892071a0-bb95-49bc-8021-3afd67a210bf
    origin: n8n-storage-ams3.ams3.digitaloceanspaces.com
    endpoint: n8n-storage-ams3.ams3.cdn.digitaloceanspaces.com
    ttl: 86400
    created_at: "2026-12-03T12:00:00Z"
purged:
  description: The paths purged from the cache.
  returned: when O(purge) is given
  type: list
  elements: str
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/cdn/endpoints 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import changed_fields, desired_from_params
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

COMPARED = ("ttl", "custom_domain", "certificate_id")


def origin_of(m):
    return "{0}.{1}.digitaloceanspaces.com".format(m.params["bucket"], m.params["region"])


def find_endpoint(m):
    origin = origin_of(m)
    matches = [e for e in m.client.paginate("cdn.list_endpoints", "endpoints") if e.get("origin") == origin]
    return matches[0] if matches else None


def reconcile(m):
    if m.params["custom_domain"] and not m.params["certificate_id"]:
        m.fail("custom_domain needs certificate_id (a DigitalOcean-managed certificate for that domain).")
    current = find_endpoint(m)
    if m.params["state"] == "absent":
        if current is not None:
            m.diff.before = {k: current.get(k) for k in ("origin",) + COMPARED}
            m.mark_changed()
            m.client.delete("cdn.delete_endpoint", current["id"])
        m.set_result({})
        return
    desired = desired_from_params(m.params, COMPARED)
    if current is None:
        body = dict(desired, origin=origin_of(m))
        m.diff.after = dict(body)
        m.mark_changed()
        endpoint, dummy = create_once(lambda: (m.client.write("cdn.create_endpoint", body=body) or {}).get("endpoint"),
                                      lambda: find_endpoint(m))
        current = endpoint if endpoint is not None else dict(body, ttl=body.get("ttl", 3600))
    else:
        changes = changed_fields(desired, current)
        m.diff.before = {k: current.get(k) for k in ("origin",) + COMPARED}
        m.diff.after = dict(m.diff.before, **changes)
        if changes:
            m.mark_changed()
            updated = m.client.write("cdn.update_endpoints", current["id"], body=changes)
            current = updated["endpoint"] if updated else dict(current, **changes)
    if m.params["purge"]:
        m.mark_changed()
        if current.get("id"):
            m.client.write("cdn.purge_cache", current["id"], body={"files": m.params["purge"]})
        else:  # check mode, endpoint not created yet
            m.client.planned.append("DELETE /v2/cdn/endpoints/(new)/cache")
        m.result["purged"] = list(m.params["purge"])
    m.set_result(current)


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        region=dict(type="str", required=True),
        ttl=dict(type="int", choices=[60, 600, 3600, 86400, 604800]),
        custom_domain=dict(type="str"),
        certificate_id=dict(type="str"),
        purge=dict(type="list", elements="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="endpoint")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
