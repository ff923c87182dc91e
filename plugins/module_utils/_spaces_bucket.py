# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bucket settings of Spaces, in one canonical form (used by spaces_bucket and spaces_bucket_info).

Private to the appplatform.n8n collection: it may change at any time.

Users bring CORS and lifecycle rules in two spellings: snake_case options (``allowed_origins``,
``expiration_days``...) and the S3 JSON they already have (``{"CORSRules": [...]}``, ``{"Rules": [...]}``,
as ``s3cmd setcors``/``setlifecycle`` take them). Both become the S3 shape; :func:`canonical_cors_rule`,
:func:`canonical_lifecycle_rule` and :func:`canonical_policy` then remove what does not matter (order of
rules, methods, headers and statements; case of methods and header names; a string or a one-element
list; the legacy top-level ``Prefix`` versus ``Filter.Prefix``) so two settings compare equal exactly
when the store would behave the same. Only the store's rule ``ID`` is ignored when the user gave none.
"""

from __future__ import annotations

import datetime
import json

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"

SNAKE_SPECIAL = {"id": "ID"}
# Flat snake_case shorthands of lifecycle rules → their S3 path.
LIFECYCLE_SHORTHANDS = {
    "prefix": ("Filter", "Prefix"),
    "expiration_days": ("Expiration", "Days"),
    "expiration_date": ("Expiration", "Date"),
    "expired_object_delete_marker": ("Expiration", "ExpiredObjectDeleteMarker"),
    "noncurrent_version_expiration_days": ("NoncurrentVersionExpiration", "NoncurrentDays"),
    "abort_incomplete_multipart_upload_days": ("AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
}


class RulesError(ValueError):
    """Rules the user gave that cannot be understood."""


def camel(name):
    """``allowed_origins`` → ``AllowedOrigins``; ``id`` → ``ID``; S3 names are left as they are."""
    if name in SNAKE_SPECIAL:
        return SNAKE_SPECIAL[name]
    if "_" not in name and name[:1].isupper():
        return name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def camelize(value):
    if isinstance(value, dict):
        return {camel(str(k)): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def _as_document(value, list_key, what):
    """A list of rules from a list, a ``{list_key: [...]}`` document, or that document as a JSON string."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RulesError("{0} is not valid JSON: {1}".format(what, exc))
    if isinstance(value, dict):
        for key in (list_key, camel(list_key), _snake(list_key)):
            if key in value:
                value = value[key]
                break
        else:
            raise RulesError("{0}: expected a list of rules or a document with a {1!r} list".format(what, list_key))
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise RulesError("{0}: expected a list of rules (dictionaries)".format(what))
    return value


def _snake(name):
    out = ""
    for i, char in enumerate(name):
        if char.isupper() and i:
            out += "_"
        out += char.lower()
    return out


def _sorted_unique(values, transform=None):
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    transform = transform or (lambda v: v)
    return sorted(set(transform(str(v).strip()) for v in values))


# -- CORS -----------------------------------------------------------------------------------

def cors_rules_from_option(value):
    """The user's CORS rules (snake_case list, S3 list, or ``{"CORSRules": [...]}``) in S3 shape."""
    rules = _as_document(value, "CORSRules", "cors_rules")
    if rules is None:
        return None
    out = []
    for rule in rules:
        rule = camelize(rule)
        unknown = set(rule) - {"ID", "AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders",
                               "MaxAgeSeconds"}
        if unknown:
            raise RulesError("cors_rules: unknown field(s) {0}".format(", ".join(sorted(unknown))))
        if not rule.get("AllowedOrigins") or not rule.get("AllowedMethods"):
            raise RulesError("cors_rules: every rule needs allowed_origins and allowed_methods")
        s3_rule = {k: v for k, v in rule.items() if v is not None}
        for key in ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders"):
            if isinstance(s3_rule.get(key), str):
                s3_rule[key] = [s3_rule[key]]
        if "AllowedMethods" in s3_rule:
            s3_rule["AllowedMethods"] = [m.upper() for m in s3_rule["AllowedMethods"]]
        if "MaxAgeSeconds" in s3_rule:
            s3_rule["MaxAgeSeconds"] = int(s3_rule["MaxAgeSeconds"])
        out.append(s3_rule)
    return out


def canonical_cors_rule(rule, keep_id=True):
    canon = {
        "AllowedOrigins": _sorted_unique(rule.get("AllowedOrigins")),
        "AllowedMethods": _sorted_unique(rule.get("AllowedMethods"), str.upper),
        "AllowedHeaders": _sorted_unique(rule.get("AllowedHeaders") or [], str.lower),
        "ExposeHeaders": _sorted_unique(rule.get("ExposeHeaders") or [], str.lower),
        "MaxAgeSeconds": int(rule["MaxAgeSeconds"]) if rule.get("MaxAgeSeconds") is not None else None,
    }
    if keep_id and rule.get("ID"):
        canon["ID"] = rule["ID"]
    return canon


# -- lifecycle ------------------------------------------------------------------------------

def lifecycle_rules_from_option(value):
    """The user's lifecycle rules (snake_case list, S3 list, or ``{"Rules": [...]}``) in S3 shape."""
    rules = _as_document(value, "Rules", "lifecycle_rules")
    if rules is None:
        return None
    out = []
    for rule in rules:
        rule = dict(rule)
        nested = {}
        for short, (outer, inner) in LIFECYCLE_SHORTHANDS.items():
            if short in rule:
                short_value = rule.pop(short)
                if short_value is not None:
                    nested.setdefault(outer, {})[inner] = short_value
        s3_rule = camelize(rule)
        for outer, fields in nested.items():
            s3_rule.setdefault(outer, {}).update(fields)
        status = str(s3_rule.get("Status", "Enabled"))
        if status.lower() not in ("enabled", "disabled"):
            raise RulesError("lifecycle_rules: status must be Enabled or Disabled, not {0!r}".format(status))
        s3_rule["Status"] = status.capitalize()
        if "Prefix" in s3_rule:  # legacy top-level prefix
            s3_rule.setdefault("Filter", {})["Prefix"] = s3_rule.pop("Prefix")
        s3_rule.setdefault("Filter", {"Prefix": ""})
        if not any(k in s3_rule for k in ("Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload",
                                          "Transitions", "NoncurrentVersionTransitions")):
            raise RulesError("lifecycle_rules: a rule needs an action (expiration, noncurrent version expiration "
                             "or abort of incomplete multipart uploads)")
        if isinstance(s3_rule.get("Expiration", {}).get("Date"), (datetime.date, datetime.datetime)):
            s3_rule["Expiration"]["Date"] = _date(s3_rule["Expiration"]["Date"])
        out.append(s3_rule)
    return out


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)[:10]


def _ints(value):
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def canonical_lifecycle_rule(rule, keep_id=True):
    rule = _ints(dict(rule))
    canon = {"Status": str(rule.get("Status", "Enabled")).capitalize()}
    filt = dict(rule.get("Filter") or {})
    if "Prefix" in rule:
        filt.setdefault("Prefix", rule["Prefix"])
    if filt.get("Prefix") in (None, ""):
        filt.pop("Prefix", None)
    canon["Filter"] = filt
    for key in ("Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if rule.get(key):
            canon[key] = dict(rule[key])
    if canon.get("Expiration", {}).get("Date") is not None:
        canon["Expiration"]["Date"] = _date(canon["Expiration"]["Date"])
    if canon.get("Expiration", {}).get("ExpiredObjectDeleteMarker") is False:
        canon["Expiration"].pop("ExpiredObjectDeleteMarker")
    for key in ("Transitions", "NoncurrentVersionTransitions"):
        if rule.get(key):
            canon[key] = sorted(rule[key], key=lambda t: json.dumps(t, sort_keys=True, default=str))
    if keep_id and rule.get("ID"):
        canon["ID"] = rule["ID"]
    return canon


# -- rule lists -----------------------------------------------------------------------------

def _key(canon):
    return json.dumps(canon, sort_keys=True, default=str)


def match_rules(desired, current, canonical):
    """Compare rule lists whatever their order. Returns ``(missing, extra)``: desired rules the store lacks,
    and stored rules nobody asked for. A desired rule without ``ID`` matches a stored rule whatever its ID."""
    remaining = [(canonical(r, keep_id=True), canonical(r, keep_id=False), r) for r in (current or [])]
    missing = []
    for rule in desired:
        has_id = bool(rule.get("ID"))
        wanted = _key(canonical(rule, keep_id=has_id))
        for index, (with_id, without_id, dummy) in enumerate(remaining):
            if _key(with_id if has_id else without_id) == wanted:
                del remaining[index]
                break
        else:
            missing.append(rule)
    return missing, [entry[2] for entry in remaining]


def rules_in_sync(desired, current, canonical, purge):
    missing, extra = match_rules(desired, current, canonical)
    return not missing and (not purge or not extra)


# -- policy ---------------------------------------------------------------------------------

def policy_from_option(value):
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RulesError("policy is not valid JSON: {0}".format(exc))
    if not isinstance(value, dict):
        raise RulesError("policy must be a JSON document (a dictionary)")
    return value


def _as_sorted_list(value):
    if isinstance(value, list):
        return sorted((_canon_policy_value(v) for v in value), key=_key)
    return [_canon_policy_value(value)]


def _canon_policy_value(value):
    if isinstance(value, dict):
        return {k: _canon_policy_value(v) for k, v in value.items()}
    return value


LIST_FIELDS = ("Action", "NotAction", "Resource", "NotResource")


def _canon_statement(stmt):
    out = {}
    for key, value in stmt.items():
        if key in LIST_FIELDS:
            out[key] = _as_sorted_list(value)
        elif key in ("Principal", "NotPrincipal") and isinstance(value, dict):
            out[key] = {k: _as_sorted_list(v) for k, v in value.items()}
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {op: {k: _as_sorted_list(v) for k, v in (cond or {}).items()} for op, cond in value.items()}
        else:
            out[key] = value
    return out


def canonical_policy(policy):
    """A bucket policy with statement order and string-versus-list differences removed."""
    if policy is None:
        return None
    policy = dict(policy)
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    policy["Statement"] = sorted((_canon_statement(s) for s in statements), key=_key)
    return policy


# -- reading a bucket -------------------------------------------------------------------------

def canned_acl(grants):
    """``private`` / ``public-read`` / ``public-read-write`` from a bucket's ACL grants."""
    public = set(g.get("Permission") for g in grants or []
                 if (g.get("Grantee") or {}).get("URI") == ALL_USERS)
    if "FULL_CONTROL" in public or "WRITE" in public:
        return "public-read-write"
    if "READ" in public:
        return "public-read"
    return "private"


def _datetimes_to_str(value):
    if isinstance(value, dict):
        return {k: _datetimes_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_datetimes_to_str(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def read_setting(sp, bucket, setting):
    """One setting of a bucket, as the store shows it (``None`` when not configured)."""
    if setting == "acl":
        return canned_acl((sp.call("get_bucket_acl", Bucket=bucket) or {}).get("Grants"))
    if setting == "versioning":
        status = (sp.call("get_bucket_versioning", Bucket=bucket) or {}).get("Status")
        return status == "Enabled"
    if setting == "cors_rules":
        body = sp.get("get_bucket_cors", Bucket=bucket)
        return (body or {}).get("CORSRules") or []
    if setting == "lifecycle_rules":
        body = sp.get("get_bucket_lifecycle_configuration", Bucket=bucket)
        return _datetimes_to_str((body or {}).get("Rules") or [])
    if setting == "policy":
        body = sp.get("get_bucket_policy", Bucket=bucket)
        return json.loads(body["Policy"]) if body and body.get("Policy") else None
    if setting == "location":
        body = sp.get("get_bucket_location", Bucket=bucket)
        return (body or {}).get("LocationConstraint")
    raise ValueError(setting)


SETTINGS = ("acl", "versioning", "cors_rules", "lifecycle_rules", "policy")


def read_settings(sp, bucket, settings=SETTINGS):
    return {s: read_setting(sp, bucket, s) for s in settings}


def bucket_usage(sp, bucket):
    """Object count and total size, from a paginated listing (one page in memory at a time)."""
    count = size = 0
    for page in sp.iterate("list_objects_v2", Bucket=bucket):
        for obj in page.get("Contents") or []:
            count += 1
            size += obj.get("Size") or 0
    return {"object_count": count, "size_bytes": size}
