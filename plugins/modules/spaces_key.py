#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: spaces_key
short_description: Create, update, rotate or delete Spaces access keys
version_added: 0.1.0
description:
  - Manages Spaces access keys through the DigitalOcean API (C(/v2/spaces/keys)), that is their name and
    grants (which buckets they may read or write).
  - B(The secret of a key is returned once, by the task that creates it) (in C(key.secret_key)), and DigitalOcean
    never shows it again. Run the task with C(no_log=true), register the result and store the secret at once
    in a safe place (Ansible Vault, a secrets manager, or an App Platform environment variable of type SECRET).
    Without C(no_log) the module warns that the secret is in its output.
  - Grants of an existing key are changed in place. A key cannot be converted between full access and bucket
    grants; use O(rotate=true) to create a successor with the new grants.
  - O(rotate=true) creates a successor key (same name, the given or the current grants) and returns both, so a
    playbook can switch its users to the new key and then delete the old one by O(access_key).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description:
      - Name of the key. Keys are found by name unless O(access_key) is given.
      - When several keys have this name (during a rotation), the newest one is managed; deleting by name then
        needs O(access_key).
    type: str
    required: true
  access_key:
    description:
      - Access key ID of an existing key, to manage that key whatever its name (for example to rename it, or to
        delete the old key after a rotation).
    type: str
  grants:
    description:
      - What the key may do. Either one V(fullaccess) grant (all buckets, and creating buckets), or bucket
        grants; the API does not allow mixing them, and the module refuses such a list before sending it.
      - Order does not matter. Not set = leave the grants of an existing key alone (a new key gets none).
    type: list
    elements: dict
    suboptions:
      bucket:
        description:
          - Bucket name. Not used (leave empty) with V(fullaccess).
        type: str
        default: ""
      permission:
        description:
          - V(read), V(readwrite), or V(fullaccess).
        type: str
        required: true
        choices: [read, readwrite, fullaccess]
  rotate:
    description:
      - Create a successor of the existing key and return both (C(key) with its secret, C(previous_key)).
        This always makes a change. Without an existing key, a key is simply created.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the key, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: A key for n8n that can write its storage bucket and read the backups
  appplatform.n8n.spaces_key:
    name: n8n-storage
    grants:
      - bucket: n8n-storage-ams3
        permission: readwrite
      - bucket: n8n-backups-ams3
        permission: read
  no_log: true  # the result holds the secret, once
  register: storage_key

- name: Keep the secret in the app's SECRET environment variables right away
  ansible.builtin.set_fact:
    n8n_spaces_access_key_id: "{{ storage_key.key.access_key }}"
    n8n_spaces_secret_access_key: "{{ storage_key.key.secret_key }}"
  when: storage_key.key.secret_key is defined
  no_log: true

- name: Rotate it
  appplatform.n8n.spaces_key:
    name: n8n-storage
    rotate: true
  no_log: true
  register: rotated

# ... deploy the app with rotated.key, then:
- name: Delete the old key
  appplatform.n8n.spaces_key:
    name: n8n-storage
    access_key: "{{ rotated.previous_key.access_key }}"
    state: absent
"""

RETURN = r"""
key:
  description:
    - The key. C(secret_key) is only there when this task created the key (or its successor).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    access_key:
      description: Access key ID (use as C(AWS_ACCESS_KEY_ID) / C(spaces_access_key_id)).
      type: str
    secret_key:
      description: The secret (use as C(AWS_SECRET_ACCESS_KEY) / C(spaces_secret_access_key)). Returned once.
      type: str
      returned: when created
    grants:
      description: Grants (C(bucket), C(permission)).
      type: list
      elements: dict
    created_at:
      description: Creation time.
      type: str
  sample: {name: n8n-storage, access_key: DOEXAMPLEKEY, grants: [{bucket: n8n-storage-ams3, permission: readwrite}]}
previous_key:
  description: With O(rotate=true), the key that was replaced (still valid until deleted).
  returned: when rotated
  type: dict
  sample: {name: n8n-storage, access_key: DOOLDKEY, grants: [{bucket: n8n-storage-ams3, permission: readwrite}]}
msg:
  description: Where to keep the secret, when one was returned.
  returned: when created
  type: str
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/spaces/keys 201"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once

KEEP_MESSAGE = ("This result holds the key's secret (key.secret_key), which DigitalOcean never shows again: "
                "store it now in Ansible Vault, a secrets manager or an App Platform environment variable of type "
                "SECRET, and keep this task no_log.")


def canonical_grants(grants):
    out = set()
    for grant in grants or []:
        permission = grant.get("permission") or ""
        out.add(("" if permission == "fullaccess" else grant.get("bucket") or "", permission))
    return sorted(out)


def as_grants(canon):
    return [{"bucket": b, "permission": p} for b, p in canon]


def is_full(canon):
    return any(grant[1] == "fullaccess" for grant in canon)


def desired_grants(m):
    if m.params["grants"] is None:
        return None
    canon = canonical_grants(m.params["grants"])
    if is_full(canon) and len(canon) > 1:
        m.fail("grants: a fullaccess grant cannot be mixed with bucket grants (the API refuses it); use either one "
               "fullaccess grant or bucket grants.")
    missing = [g for g in canon if g[1] != "fullaccess" and not g[0]]
    if missing:
        m.fail("grants: a {0} grant needs a bucket.".format(missing[0][1]))
    return canon


def find_key(m):
    """The key by access key ID, or the newest key with the name; also how many have the name."""
    if m.params["access_key"]:
        body = m.client.get("spaces_key.get", m.params["access_key"])
        key = (body or {}).get("key")
        if key is None and body and body.get("keys"):  # the spec's (wrong) schema: keys: [...]
            key = body["keys"][0]
        return key, 1 if key else 0
    matches = [k for k in m.client.paginate("spaces_key.list", "keys", name=m.params["name"])
               if k.get("name") == m.params["name"]]
    matches.sort(key=lambda k: k.get("created_at") or "", reverse=True)
    return (matches[0] if matches else None), len(matches)


def public(key):
    return {k: v for k, v in (key or {}).items() if k != "secret_key"}


def create_key(m, grants):
    body = {"name": m.params["name"], "grants": as_grants(grants or [])}
    m.mark_changed()
    if m.check_mode:
        m.client.write("spaces_key.create", body=body)
        return dict(body, access_key=None)
    before = set(k["access_key"] for k in m.client.paginate("spaces_key.list", "keys", name=m.params["name"]))

    def lookup():
        new = [k for k in m.client.paginate("spaces_key.list", "keys", name=m.params["name"])
               if k["access_key"] not in before]
        return new[0] if new else None

    for _attempt in range(3):
        key, found_by_lookup = create_once(lambda: m.client.write("spaces_key.create", body=body)["key"], lookup)
        if not found_by_lookup:
            break
        # The create went through but its answer (the only one with the secret) was lost: that key is
        # useless. Delete it and create another, with the same never-twice protection.
        m.client.delete("spaces_key.delete", key["access_key"])
    else:
        m.fail("Spaces key {0!r}: three creates in a row lost their answer (which holds the only copy of the "
               "secret); the orphan keys were deleted. Try again later.".format(m.params["name"]))
    if not m.module.no_log:
        m.module.warn("The result of this task contains a Spaces secret key: set no_log: true on the task.")
    m.result["msg"] = KEEP_MESSAGE
    return key


def update_key(m, current, grants):
    current_grants = canonical_grants(current.get("grants"))
    body = {}
    if m.params["access_key"] and m.params["name"] != current.get("name"):
        body["name"] = m.params["name"]
    if grants is not None and grants != current_grants:
        if is_full(grants) != is_full(current_grants):
            m.fail("Key {0} has {1}; DigitalOcean cannot convert a key between full access and bucket grants. "
                   "Use rotate=true with the new grants to create a successor key.".format(
                       current["access_key"], "full access" if is_full(current_grants) else "bucket grants"))
        body["grants"] = as_grants(grants)
    m.diff.before = {"name": current.get("name"), "grants": as_grants(current_grants)}
    m.diff.after = dict(m.diff.before, **body)
    if not body:
        return public(current)
    m.mark_changed()
    # PUT and PATCH have the same contract; both need the name
    body.setdefault("name", current.get("name"))
    body.setdefault("grants", as_grants(current_grants))
    updated = m.client.write("spaces_key.update", current["access_key"], body=body)
    return public(updated["key"]) if updated else dict(public(current), **body)


def reconcile(m):
    grants = desired_grants(m)
    current, count = find_key(m)
    if m.params["state"] == "absent":
        if current is None:
            m.set_result({})
            return
        if count > 1:
            m.fail("{0} keys are named {1!r}: set access_key to say which one to delete.".format(count, m.params["name"]))
        m.diff.before = public(current)
        m.mark_changed()
        m.client.delete("spaces_key.delete", current["access_key"])
        m.set_result({})
        return
    if current is None:
        if m.params["access_key"]:
            m.fail("No Spaces key with access key {0}.".format(m.params["access_key"]))
        m.diff.after = {"name": m.params["name"], "grants": as_grants(grants or [])}
        m.set_result(create_key(m, grants))
        return
    if m.params["rotate"]:
        successor_grants = grants if grants is not None else canonical_grants(current.get("grants"))
        m.diff.before = {"access_key": current["access_key"]}
        m.diff.after = {"access_key": "(new)", "grants": as_grants(successor_grants)}
        m.result["previous_key"] = public(current)
        m.set_result(create_key(m, successor_grants))
        return
    m.set_result(update_key(m, current, grants))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        access_key=dict(type="str", no_log=False),
        grants=dict(type="list", elements="dict", options=dict(
            bucket=dict(type="str", default=""),
            permission=dict(type="str", required=True, choices=["read", "readwrite", "fullaccess"]),
        )),
        rotate=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    m = DOModule(argument_spec, result_key="key")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
