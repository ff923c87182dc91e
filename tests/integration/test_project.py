# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""project / project_info against the sandbox's DigitalOcean emulator."""

import pytest

pytestmark = pytest.mark.sandbox


def projects_named(emulator, name):
    return [p for p in emulator.store.get("projects", {}).values() if p["name"] == name]


def urns_of(run_module, name):
    info = run_module("project_info", {"name": name, "resources": True})
    assert not info.get("failed"), info
    return [r["urn"] for r in info["projects"][0]["resources"]]


def test_created_then_unchanged_with_zero_writes(run_module, emulator):
    args = {"name": "n8n-p-a", "purpose": "n8n automation", "environment": "Production", "description": "n8n"}
    first = run_module("project", args)
    assert first["changed"] is True, first
    assert first["project"]["name"] == "n8n-p-a" and first["project"]["environment"] == "Production"
    assert first["project"]["purpose"] == "Other: n8n automation"  # as DigitalOcean stores an unlisted purpose
    assert first["api_calls"] == ["POST /v2/projects 201"]
    assert first["diff"]["after"]["description"] == "n8n"
    mark = len(emulator.log)
    second = run_module("project", args)
    assert second["changed"] is False, second
    assert second["api_calls"] == [] and emulator.writes(since=mark) == []
    assert len(projects_named(emulator, "n8n-p-a")) == 1


def test_purpose_is_required_to_create(run_module, emulator):
    result = run_module("project", {"name": "n8n-p-nopurpose"})
    assert result.get("failed") and "purpose is required" in result["msg"]
    assert emulator.writes() == []


def test_update_patches_only_what_differs(run_module, emulator):
    run_module("project", {"name": "n8n-p-b", "purpose": "Web Application", "description": "old"})
    mark = len(emulator.log)
    args = {"name": "n8n-p-b", "description": "new", "environment": "Staging", "purpose": "Web Application"}
    checked = run_module("project", args, check=True)
    assert checked["changed"] is True and emulator.writes(since=mark) == []
    assert checked["diff"]["before"]["description"] == "old" and checked["diff"]["after"]["description"] == "new"
    updated = run_module("project", args)
    assert updated["changed"] is True
    assert updated["project"]["description"] == "new" and updated["project"]["environment"] == "Staging"
    assert [w["method"] for w in emulator.writes(since=mark)] == ["PATCH"]
    assert run_module("project", args)["changed"] is False


def test_assign_is_idempotent_and_moves_resources(run_module, emulator):
    vpc = run_module("vpc", {"name": "n8n-p-vpc", "region": "fra1"})["vpc"]
    urns = ["do:vpc:" + vpc["id"], "do:space:n8n-p-bucket"]
    assert "do:vpc:" + vpc["id"] in urns_of(run_module, "first-project")  # new resources land in the default project
    mark = len(emulator.log)
    first = run_module("project", {"name": "n8n-p-c", "purpose": "IoT", "resources": urns})
    assert first["changed"] is True, first
    assert first["assigned"] == urns and first["project"]["resources"] == urns
    assert [w["template"] for w in emulator.writes(since=mark)] == [
        "/v2/projects", "/v2/projects/{project_id}/resources"]
    assert sorted(urns_of(run_module, "n8n-p-c")) == sorted(urns)
    assert "do:vpc:" + vpc["id"] not in urns_of(run_module, "first-project")  # moved, not copied
    mark = len(emulator.log)
    again = run_module("project", {"name": "n8n-p-c", "resources": list(reversed(urns)) + [urns[0]]})
    assert again["changed"] is False and again["assigned"] == [], again
    assert emulator.writes(since=mark) == []
    more = run_module("project", {"name": "n8n-p-c", "resources": urns + ["do:space:n8n-p-bucket2"]})
    assert more["changed"] is True and more["assigned"] == ["do:space:n8n-p-bucket2"]
    assert [e["status"] for e in emulator.writes(since=mark)] == [200]


def test_unknown_resource_fails_with_its_urn(run_module, emulator):
    unknown = "do:app:00000000-0000-4000-8000-000000000000"
    result = run_module("project", {"name": "n8n-p-d", "purpose": "IoT",
                                    "resources": ["do:space:n8n-p-d-bucket", unknown]})
    assert result.get("failed") and unknown in result["msg"] and "not_found" in result["msg"]
    assert result["refused"] == {unknown: "not_found"}
    assert result["assigned"] == ["do:space:n8n-p-d-bucket"]
    assert urns_of(run_module, "n8n-p-d") == ["do:space:n8n-p-d-bucket"]


def test_check_mode_writes_nothing(run_module, emulator):
    result = run_module("project", {"name": "n8n-p-check", "purpose": "IoT", "resources": ["do:space:n8n-p-x"]},
                        check=True)
    assert result["changed"] is True
    assert result["api_calls"] == ["POST /v2/projects", "POST /v2/projects/new/resources"]
    assert result["assigned"] == ["do:space:n8n-p-x"]
    assert emulator.writes() == [] and projects_named(emulator, "n8n-p-check") == []
    run_module("project", {"name": "n8n-p-check2", "purpose": "IoT"})
    mark = len(emulator.log)
    existing = run_module("project", {"name": "n8n-p-check2", "resources": ["do:space:n8n-p-y"]}, check=True)
    assert existing["changed"] is True and existing["api_calls"][0].endswith("/resources")
    assert emulator.writes(since=mark) == []
    assert urns_of(run_module, "n8n-p-check2") == []


def test_absent_deletes_refuses_non_empty_and_is_idempotent(run_module, emulator):
    run_module("project", {"name": "n8n-p-e", "purpose": "IoT", "resources": ["do:space:n8n-p-e-bucket"]})
    mark = len(emulator.log)
    refused = run_module("project", {"name": "n8n-p-e", "state": "absent"})
    assert refused.get("failed") and "only deletes an empty project" in refused["msg"], refused
    assert refused["resources"] == ["do:space:n8n-p-e-bucket"]
    assert emulator.writes(since=mark) == [] and len(projects_named(emulator, "n8n-p-e")) == 1
    # Move the bucket away (the only way out of a project), then the delete goes through.
    run_module("project", {"name": "n8n-p-e2", "purpose": "IoT", "resources": ["do:space:n8n-p-e-bucket"]})
    mark = len(emulator.log)
    checked = run_module("project", {"name": "n8n-p-e", "state": "absent"}, check=True)
    assert checked["changed"] is True and emulator.writes(since=mark) == []
    gone = run_module("project", {"name": "n8n-p-e", "state": "absent"})
    assert gone["changed"] is True and gone["api_calls"][0].startswith("DELETE /v2/projects/")
    assert projects_named(emulator, "n8n-p-e") == []
    again = run_module("project", {"name": "n8n-p-e", "state": "absent"})
    assert again["changed"] is False and again["api_calls"] == []


def test_the_api_refuses_to_delete_a_non_empty_project_with_412(sandbox, emulator):
    import pydo

    client = pydo.Client(sandbox.token, endpoint=sandbox.api_url, connection_verify=sandbox.ca.cert_path, retry_total=0)
    project = client.projects.create(body={"name": "n8n-p-f", "purpose": "IoT"})["project"]
    client.projects.assign_resources(project["id"], body={"resources": ["do:space:n8n-p-f-bucket"]})
    answer = client.projects.delete(project["id"])  # pydo returns the 412 body instead of raising
    assert answer["id"] == "precondition_failed" and "resources" in answer["message"]
    assert emulator.log[-1]["status"] == 412


def test_default_project_cannot_be_unset_or_deleted(run_module, emulator):
    default = run_module("project_info", {"default": True})["projects"]
    assert len(default) == 1 and default[0]["is_default"] is True
    name = default[0]["name"]
    unset = run_module("project", {"name": name, "is_default": False})
    assert unset.get("failed") and "another project the default" in unset["msg"]
    deleted = run_module("project", {"name": name, "state": "absent"})
    assert deleted.get("failed") and "default project" in deleted["msg"]
    assert emulator.writes() == []


def test_info_by_id_and_all(run_module, emulator):
    created = run_module("project", {"name": "n8n-p-g", "purpose": "IoT"})["project"]
    mark = len(emulator.log)
    by_id = run_module("project_info", {"id": created["id"]})
    assert [p["name"] for p in by_id["projects"]] == ["n8n-p-g"]
    everything = run_module("project_info", {})
    assert {"n8n-p-g"} <= {p["name"] for p in everything["projects"]}
    assert sum(1 for p in everything["projects"] if p["is_default"]) == 1
    assert emulator.writes(since=mark) == []


def test_500_after_the_create_was_applied_leaves_exactly_one(run_module, emulator):
    emulator.faults.set([{"method": "POST", "path": "^/v2/projects$", "after_write": True, "status": 500, "times": 1}])
    result = run_module("project", {"name": "n8n-p-once", "purpose": "IoT", "resources": ["do:space:n8n-p-once"]})
    assert not result.get("failed"), result
    assert len(projects_named(emulator, "n8n-p-once")) == 1
    assert len([e for e in emulator.log if e["method"] == "POST" and e["template"] == "/v2/projects"]) == 1
    assert urns_of(run_module, "n8n-p-once") == ["do:space:n8n-p-once"]


def test_converges_with_429_and_503(run_module, emulator):
    emulator.faults.set([
        {"path": "^/v2/projects", "status": 429, "retry_after": 0, "probability": 0.15},
        {"path": "^/v2/projects", "method": "GET", "status": 503, "probability": 0.15},
    ], seed=11)
    args = {"name": "n8n-p-flaky", "purpose": "IoT", "description": "flaky", "resources": ["do:space:n8n-p-flaky"]}
    for _ in range(3):
        result = run_module("project", args)
        assert not result.get("failed"), result
    assert emulator.faults.fired > 0
    assert len(projects_named(emulator, "n8n-p-flaky")) == 1
    emulator.faults.set([])
    assert run_module("project", args)["changed"] is False
