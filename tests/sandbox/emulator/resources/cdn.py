# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CDN endpoints (tag ``CDN Endpoints``): /v2/cdn/endpoints.

The origin is a Space (``<bucket>.<region>.digitaloceanspaces.com``), the endpoint
``<bucket>.<region>.cdn.digitaloceanspaces.com``; TTL one of 60/600/3600/86400/604800 (default 3600);
a custom domain needs a certificate. Purging is a DELETE with a JSON body ``{files: [...]}`` (204);
purges are recorded in ``ctx.emu.store["cdn_purges"]`` for tests.
"""

import re

from ..core import ApiError, new_id, now_iso, route

TTLS = (60, 600, 3600, 86400, 604800)
ORIGIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.(?P<region>[a-z]{3}[0-9])\.digitaloceanspaces\.com$")


def _check_domain(body, current=None):
    domain = body.get("custom_domain", (current or {}).get("custom_domain"))
    certificate = body.get("certificate_id", (current or {}).get("certificate_id"))
    if domain and not certificate:
        raise ApiError(422, "certificate_id is required with a custom_domain", "unprocessable_entity")


@route("GET", "/v2/cdn/endpoints")
def list_endpoints(ctx):
    items = sorted(ctx.table("cdn_endpoints").values(), key=lambda e: e["created_at"] + e["id"])
    return 200, ctx.paginate(items, "endpoints")


@route("POST", "/v2/cdn/endpoints")
def create_endpoint(ctx):
    body = ctx.body
    found = ORIGIN.match(body["origin"])
    if not found:
        raise ApiError(422, "origin must be a Space: <bucket>.<region>.digitaloceanspaces.com", "unprocessable_entity")
    if any(e["origin"] == body["origin"] for e in ctx.table("cdn_endpoints").values()):
        raise ApiError(409, "a CDN endpoint for this origin already exists", "conflict")
    ttl = body.get("ttl", 3600)
    if ttl not in TTLS:
        raise ApiError(422, "ttl must be one of 60, 600, 3600, 86400, 604800", "unprocessable_entity")
    _check_domain(body)
    endpoint = {"id": new_id(), "origin": body["origin"],
                "endpoint": "{0}.{1}.cdn.digitaloceanspaces.com".format(found.group("bucket"), found.group("region")),
                "ttl": ttl, "created_at": now_iso()}
    for field in ("custom_domain", "certificate_id"):
        if body.get(field):
            endpoint[field] = body[field]
    ctx.table("cdn_endpoints")[endpoint["id"]] = endpoint
    return 201, {"endpoint": endpoint}


@route("GET", "/v2/cdn/endpoints/{cdn_id}")
def get_endpoint(ctx):
    return 200, {"endpoint": ctx.require("cdn_endpoints", ctx.params["cdn_id"])}


@route("PUT", "/v2/cdn/endpoints/{cdn_id}")
def update_endpoint(ctx):
    endpoint = ctx.require("cdn_endpoints", ctx.params["cdn_id"])
    body = ctx.body
    if "ttl" in body and body["ttl"] not in TTLS:
        raise ApiError(422, "ttl must be one of 60, 600, 3600, 86400, 604800", "unprocessable_entity")
    _check_domain(body, endpoint)
    for field in ("ttl", "custom_domain", "certificate_id"):
        if field in body:
            endpoint[field] = body[field]
    return 200, {"endpoint": endpoint}


@route("DELETE", "/v2/cdn/endpoints/{cdn_id}")
def delete_endpoint(ctx):
    ctx.require("cdn_endpoints", ctx.params["cdn_id"])
    del ctx.table("cdn_endpoints")[ctx.params["cdn_id"]]
    return 204, None


@route("DELETE", "/v2/cdn/endpoints/{cdn_id}/cache")
def purge_cache(ctx):
    ctx.require("cdn_endpoints", ctx.params["cdn_id"])
    files = ctx.body.get("files")
    if not files:
        raise ApiError(400, "files is required", "bad_request")
    ctx.table("cdn_purges").setdefault(ctx.params["cdn_id"], []).append(list(files))
    return 204, None
