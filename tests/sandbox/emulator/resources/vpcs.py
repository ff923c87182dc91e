# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VPCs (tag ``VPCs``): /v2/vpcs."""

import ipaddress
import re

from ..core import ApiError, new_id, now_iso, route

NAME = re.compile(r"^[a-zA-Z0-9\-\.]+$")
# Datacenter slugs (GET /v2/regions); a VPC lives in one of them.
REGIONS = {"nyc1", "nyc2", "nyc3", "ams2", "ams3", "sfo1", "sfo2", "sfo3", "sgp1", "lon1", "fra1", "tor1", "blr1",
           "syd1", "atl1"}


def _ranges_in_use(ctx):
    return [ipaddress.ip_network(v["ip_range"]) for v in ctx.table("vpcs").values()]


def _pick_range(ctx):
    used = _ranges_in_use(ctx)
    for second in range(100, 200):
        candidate = ipaddress.ip_network("10.{0}.0.0/20".format(second))
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise ApiError(422, "no free IP range")


@route("GET", "/v2/vpcs")
def list_vpcs(ctx):
    items = sorted(ctx.table("vpcs").values(), key=lambda v: v["created_at"] + v["id"])
    return 200, ctx.paginate(items, "vpcs")


@route("POST", "/v2/vpcs")
def create_vpc(ctx):
    body = ctx.body
    if not NAME.match(body["name"]):
        raise ApiError(422, "name must contain only letters, digits, '-' and '.'")
    if body["region"] not in REGIONS:
        raise ApiError(422, "region {0!r} is not a valid region".format(body["region"]))
    if any(v["name"] == body["name"] for v in ctx.table("vpcs").values()):
        raise ApiError(409, "a VPC named {0} already exists".format(body["name"]), "conflict")
    ip_range = body.get("ip_range") or _pick_range(ctx)
    try:
        net = ipaddress.ip_network(ip_range)
    except ValueError:
        raise ApiError(422, "ip_range is not a valid CIDR")
    if not 16 <= net.prefixlen <= 28 or not net.is_private:
        raise ApiError(422, "ip_range must be a private range between /16 and /28")
    if any(net.overlaps(u) for u in _ranges_in_use(ctx)):
        raise ApiError(422, "ip_range overlaps an existing VPC")
    vpc_id = new_id()
    is_default = not any(v["region"] == body["region"] for v in ctx.table("vpcs").values())
    vpc = {"id": vpc_id, "urn": "do:vpc:" + vpc_id, "name": body["name"], "description": body.get("description", ""),
           "region": body["region"], "ip_range": str(net), "default": is_default, "created_at": now_iso()}
    ctx.table("vpcs")[vpc_id] = vpc
    return 201, {"vpc": vpc}


@route("GET", "/v2/vpcs/{vpc_id}")
def get_vpc(ctx):
    return 200, {"vpc": ctx.require("vpcs", ctx.params["vpc_id"])}


def _update(ctx, full):
    vpc = ctx.require("vpcs", ctx.params["vpc_id"])
    body = ctx.body
    if "name" in body:
        if not NAME.match(body["name"]):
            raise ApiError(422, "name must contain only letters, digits, '-' and '.'")
        if any(v["name"] == body["name"] and v["id"] != vpc["id"] for v in ctx.table("vpcs").values()):
            raise ApiError(409, "a VPC named {0} already exists".format(body["name"]), "conflict")
        vpc["name"] = body["name"]
    if "description" in body or full:
        vpc["description"] = body.get("description", "")
    if body.get("default") is True and not vpc["default"]:
        for other in ctx.table("vpcs").values():
            if other["region"] == vpc["region"]:
                other["default"] = False
        vpc["default"] = True
    elif body.get("default") is False and vpc["default"]:
        raise ApiError(422, "the default VPC cannot be unset; make another VPC the default")
    return 200, {"vpc": vpc}


@route("PUT", "/v2/vpcs/{vpc_id}")
def put_vpc(ctx):
    return _update(ctx, full=True)


@route("PATCH", "/v2/vpcs/{vpc_id}")
def patch_vpc(ctx):
    return _update(ctx, full=False)


@route("DELETE", "/v2/vpcs/{vpc_id}")
def delete_vpc(ctx):
    vpc = ctx.require("vpcs", ctx.params["vpc_id"])
    if vpc["default"] and sum(1 for v in ctx.table("vpcs").values() if v["region"] == vpc["region"]) > 1:
        raise ApiError(403, "cannot delete the default VPC of a region", "forbidden")
    if members(ctx, vpc["id"]):
        raise ApiError(409, "VPC has members: remove them first", "conflict")
    del ctx.table("vpcs")[vpc["id"]]
    return 204, None


def members(ctx, vpc_id):
    """Resources attached to a VPC: every table's items whose private network is this VPC."""
    found = []
    for table, items in ctx.store.items():
        for item in items.values():
            if isinstance(item, dict) and vpc_id in (item.get("private_network_uuid"), item.get("vpc_uuid")):
                urn = item.get("urn") or "do:{0}:{1}".format(table, item.get("id"))
                found.append({"name": item.get("name", ""), "urn": urn, "created_at": item.get("created_at", now_iso())})
    return found


@route("GET", "/v2/vpcs/{vpc_id}/members")
def list_members(ctx):
    ctx.require("vpcs", ctx.params["vpc_id"])
    return 200, ctx.paginate(members(ctx, ctx.params["vpc_id"]), "members")
