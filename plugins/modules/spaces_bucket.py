#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: spaces_bucket
short_description: Create, configure or delete a Spaces bucket (ACL, CORS, lifecycle, versioning, policy)
version_added: 0.1.0
description:
  - Makes sure a Spaces bucket exists with the given access control, CORS rules, lifecycle rules, versioning and
    bucket policy, or does not exist.
  - Every setting left unset (V(null)) is left as it is. A new bucket is private unless O(acl=public-read).
  - Settings are compared in a canonical form, so rules given in another order, methods in another case or a
    policy with its statements reordered are not a change. Nothing is written when nothing differs.
  - After each write the module reads the setting back until the store shows it.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  name:
    description:
      - Name of the bucket (3 to 63 lowercase letters, digits, C(-) and C(.)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the bucket, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete every object (and every object version) first.
      - Without it, deleting a bucket that is not empty fails before anything is deleted.
    type: bool
    default: false
  acl:
    description:
      - Canned ACL of the bucket. V(private) lets only key holders in; V(public-read) lets anyone list and read.
    type: str
    choices: [private, public-read]
  cors_rules:
    description:
      - CORS rules of the bucket. V([]) with O(purge_cors_rules=true) removes the CORS configuration.
      - Either a list of rules with the keys C(allowed_origins), C(allowed_methods), C(allowed_headers),
        C(expose_headers), C(max_age_seconds) and C(id); or the S3 JSON form as C(s3cmd setcors) takes it,
        that is a list of C(AllowedOrigins)/C(AllowedMethods)/... rules, or a whole document with a
        C(CORSRules) list (as a dictionary or a JSON string), such as the C(cors-config.json) of the guide.
    type: raw
  purge_cors_rules:
    description:
      - V(true) makes the CORS rules exactly O(cors_rules); V(false) only adds the missing ones.
    type: bool
    default: true
  lifecycle_rules:
    description:
      - Lifecycle rules of the bucket. V([]) with O(purge_lifecycle_rules=true) removes the lifecycle configuration.
      - Either a list of rules with the keys C(id), C(status) (V(Enabled) by default), C(prefix),
        C(expiration_days), C(expiration_date), C(expired_object_delete_marker),
        C(noncurrent_version_expiration_days), C(abort_incomplete_multipart_upload_days); or the S3 JSON form as
        C(s3cmd setlifecycle) takes it (C(Status), C(Filter), C(Expiration)...), as a list or a whole document
        with a C(Rules) list (a dictionary or a JSON string), such as the C(lifecycle-config.json) of the guide.
      - A rule without an ID matches a stored rule whatever ID the store gave it.
    type: raw
  purge_lifecycle_rules:
    description:
      - V(true) makes the lifecycle rules exactly O(lifecycle_rules); V(false) only adds the missing ones.
    type: bool
    default: true
  versioning:
    description:
      - V(true) enables object versioning, V(false) suspends it (a bucket that never had it stays without it).
    type: bool
  policy:
    description:
      - Bucket policy, as a dictionary or a JSON string. Compared semantically (statement order, a string versus a
        one-element list). V({}) removes the policy.
    type: raw
  wait_timeout:
    description:
      - Seconds to wait, after a write, for the store to show the new setting.
    type: int
    default: 60
extends_documentation_fragment:
  - appplatform.n8n.spaces
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: The n8n storage bucket, private, with the CORS and lifecycle rules of the production guide
  appplatform.n8n.spaces_bucket:
    name: n8n-storage-ams3
    region: ams3
    acl: private
    cors_rules: "{{ lookup('ansible.builtin.file', 'cors-config.json') | from_json }}"
    lifecycle_rules: "{{ lookup('ansible.builtin.file', 'lifecycle-config.json') | from_json }}"
    versioning: true

- name: The same settings as options
  appplatform.n8n.spaces_bucket:
    name: n8n-storage-ams3
    region: ams3
    cors_rules:
      - allowed_origins: [https://n8n.example.com]
        allowed_methods: [GET, PUT, POST, DELETE]
        allowed_headers: ["*"]
        max_age_seconds: 3000
    lifecycle_rules:
      - id: expire-temp
        prefix: temp/
        expiration_days: 90
      - id: abort-uploads
        abort_incomplete_multipart_upload_days: 2

- name: Public read for one prefix only
  appplatform.n8n.spaces_bucket:
    name: n8n-storage-ams3
    region: ams3
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: s3:GetObject
          Resource: arn:aws:s3:::n8n-storage-ams3/public/*

- name: Delete a bucket and everything in it
  appplatform.n8n.spaces_bucket:
    name: n8n-scratch-ams3
    region: ams3
    state: absent
    force: true
"""

RETURN = r"""
bucket:
  description:
    - The bucket and the settings this task manages, as the store shows them after the change (in check mode, as
      they would be). Rules are in the S3 form. Empty after a delete.
  returned: always
  type: dict
  sample:
    name: n8n-storage-ams3
    region: ams3
    acl: private
    versioning: true
    cors_rules:
      - AllowedOrigins: [https://your-app.ondigitalocean.app]
        AllowedMethods: [GET, PUT, POST, DELETE]
        AllowedHeaders: ["*"]
        MaxAgeSeconds: 3000
    lifecycle_rules:
      - Status: Enabled
        Expiration: {Days: 90}
        Filter: {Prefix: temp/}
deleted_objects:
  description: Number of objects and object versions deleted by O(force).
  returned: when O(state=absent) and O(force=true)
  type: int
  sample: 12
api_calls:
  description: State-changing S3 requests sent (V("METHOD /path status")), or in check mode those that would be sent.
  returned: always
  type: list
  elements: str
  sample: ["PUT /n8n-storage-ams3 200", "PUT /n8n-storage-ams3?cors 200"]
"""

import json

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces import SPACES_ARGUMENT_SPEC, SpacesError, spaces_client
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces_bucket import (
    RulesError,
    canonical_cors_rule,
    canonical_lifecycle_rule,
    canonical_policy,
    cors_rules_from_option,
    lifecycle_rules_from_option,
    match_rules,
    policy_from_option,
    read_setting,
    rules_in_sync,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._waiters import wait_for

DELETE_BATCH = 1000


def desired_settings(m):
    """The settings the user set, in S3 form; fails on rules that cannot be understood."""
    p = m.params
    try:
        return {k: v for k, v in {
            "acl": p["acl"],
            "versioning": p["versioning"],
            "cors_rules": cors_rules_from_option(p["cors_rules"]),
            "lifecycle_rules": lifecycle_rules_from_option(p["lifecycle_rules"]),
            "policy": policy_from_option(p["policy"]),
        }.items() if v is not None}
    except RulesError as exc:
        m.fail(str(exc))
    return {}


def in_sync(m, setting, desired, current):
    if setting in ("acl", "versioning"):
        return desired == current
    if setting == "cors_rules":
        return rules_in_sync(desired, current, canonical_cors_rule, m.params["purge_cors_rules"])
    if setting == "lifecycle_rules":
        return rules_in_sync(desired, current, canonical_lifecycle_rule, m.params["purge_lifecycle_rules"])
    if setting == "policy":
        if not desired:
            return current is None
        return current is not None and json.dumps(canonical_policy(desired), sort_keys=True) == \
            json.dumps(canonical_policy(current), sort_keys=True)
    raise ValueError(setting)


def target(m, setting, desired, current):
    """What the setting becomes: the desired value, or for lists without purge the current rules plus the missing."""
    purge = {"cors_rules": m.params["purge_cors_rules"], "lifecycle_rules": m.params["purge_lifecycle_rules"]}
    if setting in purge and not purge[setting]:
        canonical = canonical_cors_rule if setting == "cors_rules" else canonical_lifecycle_rule
        missing = match_rules(desired, current, canonical)[0]
        return list(current or []) + missing
    return desired


def write_setting(m, bucket, setting, value):
    sp = m.spaces
    if setting == "acl":
        sp.write("put_bucket_acl", Bucket=bucket, ACL=value)
    elif setting == "versioning":
        sp.write("put_bucket_versioning", Bucket=bucket,
                 VersioningConfiguration={"Status": "Enabled" if value else "Suspended"})
    elif setting == "cors_rules":
        if value:
            sp.write("put_bucket_cors", Bucket=bucket, CORSConfiguration={"CORSRules": value})
        else:
            sp.write("delete_bucket_cors", Bucket=bucket)
    elif setting == "lifecycle_rules":
        if value:
            sp.write("put_bucket_lifecycle_configuration", Bucket=bucket, LifecycleConfiguration={"Rules": value})
        else:
            sp.write("delete_bucket_lifecycle", Bucket=bucket)
    elif setting == "policy":
        if value:
            sp.write("put_bucket_policy", Bucket=bucket, Policy=json.dumps(value))
        else:
            sp.write("delete_bucket_policy", Bucket=bucket)


def read_back(m, bucket, setting, value):
    """Poll until the store shows the written setting (stores may apply a configuration with a delay)."""
    if m.check_mode:
        return value
    result = wait_for(lambda: read_setting(m.spaces, bucket, setting),
                      lambda current: in_sync(m, setting, value, current) if value or setting in ("acl", "versioning")
                      else current in (None, [], {}),
                      timeout=m.params["wait_timeout"], describe="{0} of bucket {1} to show the change".format(
                          setting, bucket))
    return result.value


def bucket_exists(m, bucket):
    try:
        return m.spaces.call("head_bucket", Bucket=bucket) is not None
    except SpacesError as exc:
        status = exc.status
        if status == 404:
            return False
        if status == 403:
            m.fail("Bucket {0!r} exists but these Spaces keys may not use it (it may belong to another account; "
                   "bucket names are shared by all users of a region).".format(bucket))
        raise


def create_bucket(m, bucket):
    kwargs = {"Bucket": bucket}
    region = m.params["region"]
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if m.params["acl"]:
        kwargs["ACL"] = m.params["acl"]

    def create():
        try:
            return m.spaces.write("create_bucket", **kwargs) or {}
        except SpacesError as exc:
            if exc.error_id == "BucketAlreadyOwnedByYou":
                return {}
            if exc.error_id == "BucketAlreadyExists":
                m.fail("Bucket name {0!r} is taken by another account: bucket names are shared by all users of a "
                       "region.".format(bucket))
            raise

    create_once(create, lambda: {} if bucket_exists(m, bucket) else None)
    if not m.check_mode:
        wait_for(lambda: bucket_exists(m, bucket), bool, timeout=m.params["wait_timeout"],
                 describe="bucket {0} to exist".format(bucket))


def empty_bucket(m, bucket):
    """Delete every object version, delete marker and unfinished upload. Returns how many objects were deleted."""
    sp = m.spaces
    deleted = 0
    batch = []

    def flush():
        if batch:
            sp.write("delete_objects", Bucket=bucket, Delete={"Objects": list(batch), "Quiet": True})
            del batch[:]

    for page in sp.iterate("list_object_versions", Bucket=bucket):
        for item in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
            batch.append({"Key": item["Key"], "VersionId": item["VersionId"]} if item.get("VersionId") not in
                         (None, "null") else {"Key": item["Key"]})
            deleted += 1
            if len(batch) >= DELETE_BATCH:
                flush()
    flush()
    for page in sp.iterate("list_multipart_uploads", Bucket=bucket):
        for upload in page.get("Uploads") or []:
            sp.write("abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def is_empty(m, bucket):
    listing = m.spaces.call("list_object_versions", Bucket=bucket, MaxKeys=1) or {}
    if listing.get("Versions") or listing.get("DeleteMarkers"):
        return False
    listing = m.spaces.call("list_objects_v2", Bucket=bucket, MaxKeys=1) or {}
    return not listing.get("Contents")


def delete_bucket(m, bucket):
    m.diff.before = {"name": bucket}
    if not is_empty(m, bucket):
        if not m.params["force"]:
            m.fail("Bucket {0!r} is not empty: set force=true to delete its objects (and object versions) "
                   "with it.".format(bucket))
        m.result["deleted_objects"] = empty_bucket(m, bucket)
    elif m.params["force"]:
        m.result["deleted_objects"] = 0
    m.mark_changed()
    m.spaces.write("delete_bucket", Bucket=bucket)
    if not m.check_mode:
        wait_for(lambda: not bucket_exists(m, bucket), bool, timeout=m.params["wait_timeout"],
                 describe="bucket {0} to be gone".format(bucket))
    m.set_result({})


def reconcile(m):
    bucket = m.params["name"]
    spaces_client(m)
    desired = desired_settings(m)
    exists = bucket_exists(m, bucket)
    if m.params["state"] == "absent":
        if exists:
            delete_bucket(m, bucket)
        else:
            m.set_result({})
        return
    result = {"name": bucket, "region": m.params["region"]}
    before = {"name": bucket} if exists else {}
    after = {"name": bucket}
    if not exists:
        m.mark_changed()
        create_bucket(m, bucket)
    for setting, value in desired.items():
        if not exists:
            current = "private" if setting == "acl" else (False if setting == "versioning" else None)
            if setting == "acl":
                # create_bucket applied the ACL
                result[setting] = after[setting] = value if m.check_mode else read_back(m, bucket, setting, value)
                continue
        else:
            current = read_setting(m.spaces, bucket, setting)
            before[setting] = current
        if in_sync(m, setting, value, current):
            result[setting] = after[setting] = current
            continue
        new = target(m, setting, value, current)
        m.mark_changed()
        write_setting(m, bucket, setting, new)
        result[setting] = after[setting] = read_back(m, bucket, setting, new)
    if exists:
        location = read_setting(m.spaces, bucket, "location")
        result["region"] = location or m.params["region"]
    m.diff.before, m.diff.after = before, after
    m.set_result(result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        force=dict(type="bool", default=False),
        acl=dict(type="str", choices=["private", "public-read"]),
        cors_rules=dict(type="raw"),
        purge_cors_rules=dict(type="bool", default=True),
        lifecycle_rules=dict(type="raw"),
        purge_lifecycle_rules=dict(type="bool", default=True),
        versioning=dict(type="bool"),
        policy=dict(type="raw"),
        wait_timeout=dict(type="int", default=60),
    )
    argument_spec.update(SPACES_ARGUMENT_SPEC)
    m = DOModule(argument_spec, result_key="bucket", needs_client=False)
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
