# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Projects and project resources (tags ``Projects``, ``Project Resources``): /v2/projects.

A resource belongs to exactly one project: an explicit assignment (table ``project_resources``,
URN → project id), else the ``project_id`` it was created with (apps, databases), else the default
project. Assigning moves a resource from its old project; nothing can be unassigned. The default
project ("first-project") is seeded lazily, as every DigitalOcean account has one.
"""

from ..core import ApiError, new_id, now_iso, route
from .account import ACCOUNT

OWNER_ID = 258992
PURPOSES = frozenset([
    "Just trying out DigitalOcean", "Class project / Educational purposes", "Website or blog", "Web Application",
    "Service or API", "Mobile Application", "Machine learning / AI / Data processing", "IoT",
    "Operational / Developer tooling",
])
FIELDS = ("name", "description", "purpose", "environment", "is_default")
# URN type → (emulator table, API path of the resource) for resources the emulator knows.
TABLES = {"app": ("apps", "/v2/apps/"), "dbaas": ("databases", "/v2/databases/"), "vpc": ("vpcs", "/v2/vpcs/")}


def _new_project(name, purpose, description="", environment=None, is_default=False):
    stamp = now_iso()
    project = {"id": new_id(), "owner_uuid": ACCOUNT["uuid"], "owner_id": OWNER_ID, "name": name,
               "description": description, "purpose": _purpose(purpose), "is_default": is_default,
               "created_at": stamp, "updated_at": stamp}
    if environment:
        project["environment"] = environment
    return project


def _purpose(value):
    if value in PURPOSES or value.startswith("Other: "):
        return value
    return "Other: " + value


def projects(ctx):
    """The projects table, with the account's default project seeded on first use."""
    table = ctx.table("projects")
    if not any(p["is_default"] for p in table.values()):
        seed = _new_project("first-project", "Just trying out DigitalOcean", "Default project", "Development", True)
        table[seed["id"]] = seed
    return table


def _default(ctx):
    return next(p for p in projects(ctx).values() if p["is_default"])


def _project(ctx):
    project_id = ctx.params.get("project_id")
    if project_id is None:  # the /v2/projects/default paths
        return _default(ctx)
    project = projects(ctx).get(project_id)
    if project is None:
        raise ApiError(404)
    return project


def _known(ctx, urn):
    """The emulator item behind a URN; ``True`` for kinds without a table here (buckets); ``None`` if unknown."""
    kind, _, ident = urn[3:].partition(":")
    if kind == "space":
        return True  # Spaces live S3-side: the bucket is not in the API's tables
    if kind not in TABLES or not ident:
        return None
    return ctx.table(TABLES[kind][0]).get(ident)


def _links(ctx, urn):
    kind, _, ident = urn[3:].partition(":")
    if kind in TABLES:
        return {"self": ctx.base_url + TABLES[kind][1] + ident}
    if kind == "domain":
        return {"self": ctx.base_url + "/v2/domains/" + ident}
    return {}


def _resources_of(ctx, project):
    """Resources in ``project``, oldest assignment first."""
    assigned = ctx.table("project_resources")
    default_id = _default(ctx)["id"]
    found = {}
    for urn, entry in assigned.items():
        if entry["project_id"] == project["id"] and _known(ctx, urn) is not None:
            found[urn] = entry["assigned_at"]
    for kind, (table, _) in TABLES.items():
        for ident, item in ctx.table(table).items():
            urn = "do:{0}:{1}".format(kind, ident)
            if urn in assigned or not isinstance(item, dict):
                continue
            owner = item.get("project_id") if item.get("project_id") in projects(ctx) else default_id
            if owner == project["id"]:
                found[urn] = item.get("created_at") or project["created_at"]
    items = [{"urn": urn, "assigned_at": at, "links": _links(ctx, urn), "status": "ok"} for urn, at in found.items()]
    return sorted(items, key=lambda r: (r["assigned_at"], r["urn"]))


def _check_name(ctx, name, exclude=None):
    if not name or len(name) > 175:
        raise ApiError(422, "name must be between 1 and 175 characters")
    if any(p["name"] == name and p["id"] != exclude for p in projects(ctx).values()):
        raise ApiError(409, "a project named {0} already exists".format(name), "conflict")


@route("GET", "/v2/projects")
def list_projects(ctx):
    items = sorted(projects(ctx).values(), key=lambda p: p["created_at"] + p["id"])
    return 200, ctx.paginate(items, "projects")


@route("POST", "/v2/projects")
def create_project(ctx):
    body = ctx.body
    _check_name(ctx, body["name"])
    project = _new_project(body["name"], body["purpose"], body.get("description", ""), body.get("environment"))
    projects(ctx)[project["id"]] = project
    return 201, {"project": project}


@route("GET", "/v2/projects/default")
@route("GET", "/v2/projects/{project_id}")
def get_project(ctx):
    return 200, {"project": _project(ctx)}


def _update(ctx, full):
    project = _project(ctx)
    body = ctx.body
    if full:
        missing = [k for k in FIELDS if k not in body]
        if missing:
            raise ApiError(400, "missing required fields: " + ", ".join(missing), "bad_request")
    if "name" in body:
        _check_name(ctx, body["name"], exclude=project["id"])
    if body.get("is_default") is False and project["is_default"]:
        raise ApiError(400, "the default project cannot be unset; make another project the default", "bad_request")
    for key in ("name", "description"):
        if key in body:
            project[key] = body[key]
    if "purpose" in body:
        project["purpose"] = _purpose(body["purpose"])
    if "environment" in body:
        project["environment"] = body["environment"]
    if body.get("is_default") is True and not project["is_default"]:
        for other in projects(ctx).values():
            other["is_default"] = False
        project["is_default"] = True
    project["updated_at"] = now_iso()
    return 200, {"project": project}


@route("PUT", "/v2/projects/default")
@route("PUT", "/v2/projects/{project_id}")
def put_project(ctx):
    return _update(ctx, full=True)


@route("PATCH", "/v2/projects/default")
@route("PATCH", "/v2/projects/{project_id}")
def patch_project(ctx):
    return _update(ctx, full=False)


@route("DELETE", "/v2/projects/{project_id}")
def delete_project(ctx):
    project = _project(ctx)
    if project["is_default"]:
        raise ApiError(412, "cannot delete the default project", "precondition_failed")
    if _resources_of(ctx, project):
        raise ApiError(412, "cannot delete a project with resources. move or remove the resources first",
                       "precondition_failed")
    del ctx.table("projects")[project["id"]]
    for urn in [u for u, e in ctx.table("project_resources").items() if e["project_id"] == project["id"]]:
        del ctx.table("project_resources")[urn]
    return 204, None


@route("GET", "/v2/projects/default/resources")
@route("GET", "/v2/projects/{project_id}/resources")
def list_resources(ctx):
    return 200, ctx.paginate(_resources_of(ctx, _project(ctx)), "resources")


@route("POST", "/v2/projects/default/resources")
@route("POST", "/v2/projects/{project_id}/resources")
def assign_resources(ctx):
    project = _project(ctx)
    current = {r["urn"] for r in _resources_of(ctx, project)}
    assigned = ctx.table("project_resources")
    out = []
    for urn in ctx.body.get("resources") or []:
        if _known(ctx, urn) is None:
            out.append({"urn": urn, "links": {}, "status": "not_found"})
            continue
        if urn in current:
            entry = assigned.get(urn)
            out.append({"urn": urn, "assigned_at": entry["assigned_at"] if entry else now_iso(),
                        "links": _links(ctx, urn), "status": "already_assigned"})
            continue
        stamp = now_iso()
        assigned[urn] = {"project_id": project["id"], "assigned_at": stamp}  # moves it from its old project
        current.add(urn)
        out.append({"urn": urn, "assigned_at": stamp, "links": _links(ctx, urn), "status": "ok"})
    return 200, {"resources": out}
