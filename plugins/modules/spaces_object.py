#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: spaces_object
short_description: Put, get, delete, list Spaces objects and make presigned URLs
version_added: 0.1.0
description:
  - O(mode=put) uploads a file, the output of a command (a stream, for example C(pg_dump)) or a string.
    Large uploads go through boto3's multipart transfer in parts of 8 MiB with at most a few parts in memory,
    so memory stays bounded whatever the size of the object or the stream.
  - O(mode=get) downloads an object to a file, O(mode=delete) deletes it, O(mode=list) lists the objects under
    a prefix, O(mode=presign) returns a presigned URL (computed locally, no request is sent).
  - Uploads from a file or a string store the SHA-256 of the content in the object's metadata
    (C(x-amz-meta-sha256)); with O(overwrite=different) an object with the same content is not uploaded again,
    and a file with the same content is not downloaded again.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  bucket:
    description:
      - Name of the bucket.
    type: str
    required: true
  mode:
    description:
      - What to do.
    type: str
    required: true
    choices: [put, get, delete, list, presign]
  object:
    description:
      - Key of the object, for example C(backups/n8n-2026-12-03.sql.gz). Required except for O(mode=list).
    type: str
  src:
    description:
      - With O(mode=put), the file to upload. A named pipe is read as a stream.
      - One of O(src), O(src_command) and O(content) is required with O(mode=put).
    type: path
  src_command:
    description:
      - With O(mode=put), a command (a list of arguments, no shell) whose standard output is uploaded as it is
        produced, without a temporary file.
      - If the command exits with a non-zero status, the upload is aborted and no object is written.
    type: list
    elements: str
  content:
    description:
      - With O(mode=put), the content of the object as a string.
    type: str
  dest:
    description:
      - With O(mode=get), the file to write. It is written to a temporary file first and renamed when complete.
    type: path
  overwrite:
    description:
      - V(different) uploads (or downloads) only when the content differs; uploads from O(src_command) cannot be
        compared beforehand and always happen. V(always) always transfers. V(never) transfers only when the
        target does not exist.
    type: str
    choices: [always, never, different]
    default: different
  content_type:
    description:
      - With O(mode=put), the C(Content-Type) of the object.
    type: str
  metadata:
    description:
      - With O(mode=put), user metadata of the object (C(x-amz-meta-*)).
    type: dict
  prefix:
    description:
      - With O(mode=list), only keys starting with this prefix.
    type: str
    default: ""
  max_keys:
    description:
      - With O(mode=list), return at most this many objects (all when not set). The listing is paginated.
    type: int
  expiration:
    description:
      - With O(mode=presign), seconds the URL stays valid.
    type: int
    default: 3600
  presign_method:
    description:
      - With O(mode=presign), a URL to V(get) the object or to V(put) it.
    type: str
    choices: [get, put]
    default: get
extends_documentation_fragment:
  - appplatform.n8n.spaces
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: Stream a database dump to Spaces, without a temporary file
  appplatform.n8n.spaces_object:
    bucket: n8n-backups-ams3
    region: ams3
    mode: put
    object: "postgres/n8n-{{ ansible_date_time.iso8601_basic_short }}.dump"
    src_command: [pg_dump, --format=custom, "--dbname={{ n8n_database_uri }}"]

- name: Upload a file (skipped when the same content is already there)
  appplatform.n8n.spaces_object:
    bucket: n8n-backups-ams3
    region: ams3
    mode: put
    object: config/n8n.env
    src: /etc/n8n/n8n.env

- name: Latest backups
  appplatform.n8n.spaces_object:
    bucket: n8n-backups-ams3
    region: ams3
    mode: list
    prefix: postgres/
  register: backups

- name: Download one
  appplatform.n8n.spaces_object:
    bucket: n8n-backups-ams3
    region: ams3
    mode: get
    object: "{{ (backups.objects | sort(attribute='last_modified') | last).key }}"
    dest: /tmp/restore.dump

- name: A link valid for one hour
  appplatform.n8n.spaces_object:
    bucket: n8n-backups-ams3
    region: ams3
    mode: presign
    object: reports/monthly.pdf
    expiration: 3600
"""

RETURN = r"""
object:
  description: The object handled (not returned by O(mode=list)).
  returned: when O(mode) is not V(list)
  type: dict
  contains:
    bucket:
      description: Bucket name.
      type: str
    key:
      description: Object key.
      type: str
    size:
      description: Size in bytes (uploaded or downloaded), when known.
      type: int
    sha256:
      description: SHA-256 of the content, when known.
      type: str
    url:
      description: The presigned URL (O(mode=presign)).
      type: str
    dest:
      description: The file written (O(mode=get)).
      type: str
  sample: {bucket: n8n-backups-ams3, key: postgres/n8n.dump, size: 1048576}
objects:
  description: The objects listed (O(mode=list)), in key order.
  returned: when O(mode=list)
  type: list
  elements: dict
  sample: [{key: postgres/n8n.dump, size: 1048576, last_modified: "2026-12-03T12:00:00+00:00", etag: "abc"}]
api_calls:
  description: State-changing S3 requests sent (V("METHOD /path status")), or in check mode those that would be sent.
  returned: always
  type: list
  elements: str
  sample: ["POST /n8n-backups-ams3/postgres/n8n.dump?uploads 200", "PUT /n8n-backups-ams3/postgres/n8n.dump?partNumber&uploadId 200"]
"""

import hashlib
import os

from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces import (
    SPACES_ARGUMENT_SPEC,
    CommandFailed,
    CommandStream,
    spaces_client,
)

HASH_BLOCK = 1024 * 1024


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_md5(path):
    digest = hashlib.md5()  # only to compare with an S3 ETag, not for security
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def head(m):
    return m.spaces.get("head_object", Bucket=m.params["bucket"], Key=m.params["object"])


def put(m):
    p = m.params
    bucket, key = p["bucket"], p["object"]
    sources = [s for s in ("src", "src_command", "content") if p[s] is not None]
    if len(sources) != 1:
        m.fail("mode=put needs exactly one of src, src_command and content.")
    stream = p["src_command"] is not None or (p["src"] is not None and not os.path.isfile(p["src"]))
    if p["src"] is not None and not os.path.exists(p["src"]):
        m.fail("src {0} does not exist.".format(p["src"]))
    existing = head(m) if p["overwrite"] != "always" else None
    sha = None
    if p["content"] is not None:
        sha = hashlib.sha256(p["content"].encode("utf-8")).hexdigest()
    elif not stream:
        sha = file_sha256(p["src"])
    result = {"bucket": bucket, "key": key, "sha256": sha}
    if existing is not None:
        if p["overwrite"] == "never" or (sha and (existing.get("Metadata") or {}).get("sha256") == sha):
            result["size"] = existing.get("ContentLength")
            m.set_result(result)
            return
    m.diff.before = {"key": key, "exists": existing is not None}
    m.diff.after = {"key": key, "exists": True, "sha256": sha}
    m.mark_changed()
    extra = {"Metadata": dict(p["metadata"] or {})}
    if sha:
        extra["Metadata"]["sha256"] = sha
    if p["content_type"]:
        extra["ContentType"] = p["content_type"]
    if m.check_mode:
        m.spaces.planned.append("PUT /{0}/{1}".format(bucket, key))
        m.set_result(result)
        return
    if p["content"] is not None:
        body = p["content"].encode("utf-8")
        m.spaces.write("put_object", Bucket=bucket, Key=key, Body=body, **extra)
        result["size"] = len(body)
    elif p["src_command"] is not None:
        source = CommandStream(p["src_command"])
        try:
            m.spaces.transfer("upload_fileobj", source, bucket, key, ExtraArgs=extra)
        except Exception as exc:  # the command failed, or the upload did
            cause = exc
            while cause is not None and not isinstance(cause, CommandFailed):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:
                m.fail("Nothing uploaded: {0}".format(cause))
            raise
        finally:
            source.close()
        result["size"] = source.size
    elif stream:
        with open(p["src"], "rb") as handle:
            m.spaces.transfer("upload_fileobj", handle, bucket, key, ExtraArgs=extra)
            result["size"] = handle.tell() if handle.seekable() else None
    else:
        m.spaces.transfer("upload_file", p["src"], bucket, key, ExtraArgs=extra)
        result["size"] = os.path.getsize(p["src"])
    m.set_result(result)


def same_content(existing, dest):
    """Whether the local file has the object's content (by stored SHA-256, else by a single-part ETag)."""
    if existing.get("ContentLength") != os.path.getsize(dest):
        return False
    stored = (existing.get("Metadata") or {}).get("sha256")
    if stored:
        return stored == file_sha256(dest)
    etag = (existing.get("ETag") or "").strip('"')
    if etag and "-" not in etag:
        return etag == file_md5(dest)
    return False


def get(m):
    p = m.params
    if not p["dest"]:
        m.fail("mode=get needs dest.")
    existing = head(m)
    if existing is None:
        m.fail("Object {0!r} does not exist in bucket {1!r}.".format(p["object"], p["bucket"]))
    result = {"bucket": p["bucket"], "key": p["object"], "dest": p["dest"], "size": existing.get("ContentLength"),
              "sha256": (existing.get("Metadata") or {}).get("sha256")}
    if os.path.exists(p["dest"]) and (p["overwrite"] == "never" or
                                      (p["overwrite"] == "different" and same_content(existing, p["dest"]))):
        m.set_result(result)
        return
    m.mark_changed()
    m.diff.after = {"dest": p["dest"], "size": existing.get("ContentLength")}
    if not m.check_mode:
        m.spaces.transfer("download_file", p["bucket"], p["object"], p["dest"])
    m.set_result(result)


def delete(m):
    p = m.params
    result = {"bucket": p["bucket"], "key": p["object"]}
    if head(m) is None:
        m.set_result(result)
        return
    m.diff.before = {"key": p["object"], "exists": True}
    m.diff.after = {"key": p["object"], "exists": False}
    m.mark_changed()
    m.spaces.write("delete_object", Bucket=p["bucket"], Key=p["object"])
    m.set_result(result)


def list_objects(m):
    p = m.params
    objects = []
    for page in m.spaces.iterate("list_objects_v2", Bucket=p["bucket"], Prefix=p["prefix"] or ""):
        for item in page.get("Contents") or []:
            objects.append({"key": item["Key"], "size": item.get("Size"),
                            "last_modified": item["LastModified"].isoformat() if item.get("LastModified") else None,
                            "etag": (item.get("ETag") or "").strip('"')})
            if p["max_keys"] is not None and len(objects) >= p["max_keys"]:
                break
        if p["max_keys"] is not None and len(objects) >= p["max_keys"]:
            break
    m.result["objects"] = objects
    m.result.pop("object", None)


def presign(m):
    p = m.params
    operation = "get_object" if p["presign_method"] == "get" else "put_object"
    url = m.spaces.presign(operation, {"Bucket": p["bucket"], "Key": p["object"]}, p["expiration"])
    m.set_result({"bucket": p["bucket"], "key": p["object"], "url": url, "expires_in": p["expiration"]})


MODES = {"put": put, "get": get, "delete": delete, "list": list_objects, "presign": presign}


def reconcile(m):
    if m.params["mode"] != "list" and not m.params["object"]:
        m.fail("mode={0} needs object.".format(m.params["mode"]))
    spaces_client(m)
    MODES[m.params["mode"]](m)


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        mode=dict(type="str", required=True, choices=list(MODES)),
        object=dict(type="str"),
        src=dict(type="path"),
        src_command=dict(type="list", elements="str"),
        content=dict(type="str"),
        dest=dict(type="path"),
        overwrite=dict(type="str", choices=["always", "never", "different"], default="different"),
        content_type=dict(type="str"),
        metadata=dict(type="dict"),
        prefix=dict(type="str", default=""),
        max_keys=dict(type="int", no_log=False),
        expiration=dict(type="int", default=3600),
        presign_method=dict(type="str", choices=["get", "put"], default="get"),
    )
    argument_spec.update(SPACES_ARGUMENT_SPEC)
    m = DOModule(argument_spec, result_key="object", needs_client=False,
                 mutually_exclusive=[("src", "src_command", "content")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
