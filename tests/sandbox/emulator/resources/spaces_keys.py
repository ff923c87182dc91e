# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Spaces access keys (tag ``Spaces Keys``): /v2/spaces/keys.

As the API does: the secret is in the create answer only; GET one answers ``{key: {...}}`` (the
spec's schema says ``keys: [...]``, its example and godo say ``key``: do-api-notes §7 row 6);
a fullaccess grant cannot be mixed with bucket grants (400), and an update cannot turn a
fullaccess key into a scoped one or back (400); list filters by name, bucket and permission.

The sandbox S3 server (moto) accepts any credentials, so keys made here work against it but their
grants are not enforced there (see tests/integration/test_spaces_key.py).
"""

import secrets
import string
import time

from ..core import ApiError, now_iso, route

PERMISSIONS = ("read", "readwrite", "fullaccess", "")
MIX_MESSAGE = "cannot mix fullaccess permission with scoped permissions."


def _public(key):
    return {k: v for k, v in key.items() if k not in ("secret_key", "_ts")}


def _grants(body):
    grants = body.get("grants") or []
    for grant in grants:
        if grant.get("permission") not in PERMISSIONS:
            raise ApiError(400, "invalid permission {0!r}".format(grant.get("permission")), "bad_request")
    full = [g for g in grants if g["permission"] == "fullaccess"]
    if full and len(full) != len(grants):
        raise ApiError(400, MIX_MESSAGE, "bad_request")
    if full:
        return [{"bucket": "", "permission": "fullaccess"}]
    return [{"bucket": g["bucket"], "permission": g["permission"]} for g in grants]


def _is_full(grants):
    return any(g["permission"] == "fullaccess" for g in grants)


@route("GET", "/v2/spaces/keys")
def list_keys(ctx):
    items = list(ctx.table("spaces_keys").values())
    query = ctx.query
    if query.get("name"):
        items = [k for k in items if k["name"] == query["name"]]
    if query.get("bucket"):
        items = [k for k in items if any(g["bucket"] == query["bucket"] for g in k["grants"])]
    if query.get("permission"):
        items = [k for k in items if any(g["permission"] == query["permission"] for g in k["grants"])]
    field = query.get("sort", "created_at")
    if field not in ("created_at", "name"):
        raise ApiError(400, "invalid sort field", "bad_request")
    items.sort(key=lambda k: (k[field], k["_ts"]), reverse=query.get("sort_direction", "desc") == "desc")
    return 200, ctx.paginate([_public(k) for k in items], "keys")


@route("POST", "/v2/spaces/keys")
def create_key(ctx):
    body = ctx.body
    if not body.get("name"):
        raise ApiError(400, "name is required", "bad_request")
    grants = _grants(body)
    alphabet = string.ascii_uppercase + string.digits
    access_key = "DO" + "".join(secrets.choice(alphabet) for _ in range(18))
    key = {"name": body["name"], "access_key": access_key, "grants": grants, "created_at": now_iso(),
           "secret_key": secrets.token_urlsafe(32), "_ts": time.time()}
    ctx.table("spaces_keys")[access_key] = key
    return 201, {"key": dict(_public(key), secret_key=key["secret_key"])}


@route("GET", "/v2/spaces/keys/{access_key}")
def get_key(ctx):
    return 200, {"key": _public(ctx.require("spaces_keys", ctx.params["access_key"]))}


def _update(ctx):
    key = ctx.require("spaces_keys", ctx.params["access_key"])
    body = ctx.body
    if "grants" in body:
        grants = _grants(body)
        if _is_full(grants) != _is_full(key["grants"]):
            raise ApiError(400, "cannot convert a fullaccess key to a scoped key or vice versa.", "bad_request")
        key["grants"] = grants
    if body.get("name"):
        key["name"] = body["name"]
    return 200, {"key": _public(key)}


@route("PUT", "/v2/spaces/keys/{access_key}")
def put_key(ctx):
    return _update(ctx)


@route("PATCH", "/v2/spaces/keys/{access_key}")
def patch_key(ctx):
    return _update(ctx)


@route("DELETE", "/v2/spaces/keys/{access_key}")
def delete_key(ctx):
    ctx.require("spaces_keys", ctx.params["access_key"])
    del ctx.table("spaces_keys")[ctx.params["access_key"]]
    return 204, None
