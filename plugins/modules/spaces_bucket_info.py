#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: spaces_bucket_info
short_description: Settings, size and object count of Spaces buckets
version_added: 0.1.0
description:
  - Returns the settings (ACL, versioning, CORS rules, lifecycle rules, policy, region) of one bucket, or of every
    bucket the Spaces keys can see.
  - With O(usage=true), also the number of objects and their total size, counted from a paginated listing
    (one page of 1000 objects in memory at a time; a large bucket takes one request per 1000 objects).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description:
      - Name of one bucket. If not set, every bucket is returned.
    type: str
  usage:
    description:
      - Also count objects and bytes (C(object_count), C(size_bytes)).
    type: bool
    default: false
extends_documentation_fragment:
  - appplatform.n8n.spaces
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: Settings and size of the n8n storage bucket
  appplatform.n8n.spaces_bucket_info:
    name: n8n-storage-ams3
    region: ams3
    usage: true
  register: storage

- name: Show its size
  ansible.builtin.debug:
    msg: "{{ storage.buckets[0].object_count }} objects, {{ storage.buckets[0].size_bytes | human_readable }}"
"""

RETURN = r"""
buckets:
  description: The buckets found (empty when O(name) does not exist). Rules are in the S3 form.
  returned: always
  type: list
  elements: dict
  sample:
    - name: n8n-storage-ams3
      region: ams3
      created_at: "2026-12-03T12:00:00+00:00"
      acl: private
      versioning: true
      cors_rules: []
      lifecycle_rules:
        - ID: expire-temp
          Status: Enabled
          Expiration: {Days: 90}
          Filter: {Prefix: temp/}
      policy: null
      object_count: 12
      size_bytes: 1048576
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces import SPACES_ARGUMENT_SPEC, spaces_client
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces_bucket import (
    bucket_usage,
    read_setting,
    read_settings,
)


def describe(m, name, created=None):
    info = {"name": name, "region": read_setting(m.spaces, name, "location") or m.params["region"]}
    if created is not None:
        info["created_at"] = created.isoformat() if hasattr(created, "isoformat") else str(created)
    info.update(read_settings(m.spaces, name))
    if m.params["usage"]:
        info.update(bucket_usage(m.spaces, name))
    return info


def reconcile(m):
    spaces_client(m)
    listing = (m.spaces.call("list_buckets") or {}).get("Buckets") or []
    if m.params["name"]:
        listing = [b for b in listing if b["Name"] == m.params["name"]]
        if not listing and m.spaces.get("head_bucket", Bucket=m.params["name"]) is not None:
            listing = [{"Name": m.params["name"]}]  # a bucket of the region the listing does not show
    m.set_result([describe(m, b["Name"], b.get("CreationDate")) for b in listing])


def main():
    argument_spec = dict(
        name=dict(type="str"),
        usage=dict(type="bool", default=False),
    )
    argument_spec.update(SPACES_ARGUMENT_SPEC)
    m = DOModule(argument_spec, result_key="buckets", needs_client=False)
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
