# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vpc / vpc_info against the sandbox's DigitalOcean emulator."""

import pytest

pytestmark = pytest.mark.sandbox


def vpcs_named(emulator, name):
    return [v for v in emulator.store.get("vpcs", {}).values() if v["name"] == name]


def test_created_then_unchanged_with_zero_writes(run_module, emulator):
    args = {"name": "n8n-a", "region": "fra1", "description": "n8n network", "ip_range": "10.200.0.0/20"}
    first = run_module("vpc", args)
    assert first["changed"] is True, first
    assert first["vpc"]["name"] == "n8n-a" and first["vpc"]["ip_range"] == "10.200.0.0/20"
    assert first["api_calls"] == ["POST /v2/vpcs 201"]
    assert first["diff"]["after"]["description"] == "n8n network"
    mark = len(emulator.log)
    second = run_module("vpc", args)
    assert second["changed"] is False, second
    assert second["api_calls"] == []
    assert emulator.writes(since=mark) == []
    assert len(vpcs_named(emulator, "n8n-a")) == 1


def test_check_mode_creates_nothing_and_reports_the_create(run_module, emulator):
    result = run_module("vpc", {"name": "n8n-check", "region": "fra1"}, check=True)
    assert result["changed"] is True
    assert result["api_calls"] == ["POST /v2/vpcs"]
    assert emulator.writes() == []
    assert vpcs_named(emulator, "n8n-check") == []


def test_update_description_shows_before_and_after(run_module, emulator):
    run_module("vpc", {"name": "n8n-b", "region": "ams3", "description": "old"})
    mark = len(emulator.log)
    checked = run_module("vpc", {"name": "n8n-b", "description": "new"}, check=True)
    assert checked["changed"] is True and emulator.writes(since=mark) == []
    assert checked["diff"]["before"]["description"] == "old"
    assert checked["diff"]["after"]["description"] == "new"
    updated = run_module("vpc", {"name": "n8n-b", "description": "new"})
    assert updated["changed"] is True and updated["vpc"]["description"] == "new"
    assert [w["method"] for w in emulator.writes(since=mark)] == ["PATCH"]
    assert run_module("vpc", {"name": "n8n-b", "description": "new"})["changed"] is False


def test_rename_by_id(run_module, emulator):
    created = run_module("vpc", {"name": "n8n-c", "region": "nyc3"})
    renamed = run_module("vpc", {"id": created["vpc"]["id"], "name": "n8n-c2"})
    assert renamed["changed"] is True and renamed["vpc"]["name"] == "n8n-c2"
    info = run_module("vpc_info", {"name": "n8n-c2"})
    assert [v["id"] for v in info["vpcs"]] == [created["vpc"]["id"]]


def test_ip_range_change_fails_before_any_write(run_module, emulator):
    run_module("vpc", {"name": "n8n-d", "region": "sgp1", "ip_range": "10.201.0.0/20"})
    mark = len(emulator.log)
    result = run_module("vpc", {"name": "n8n-d", "ip_range": "10.202.0.0/20"})
    assert result.get("failed") and "cannot change" in result["msg"]
    assert emulator.writes(since=mark) == []


def test_a_vpc_of_that_name_in_another_region_is_reported_not_recreated(run_module, emulator):
    run_module("vpc", {"name": "n8n-moved", "region": "nyc3"})
    mark = len(emulator.log)
    result = run_module("vpc", {"name": "n8n-moved", "region": "fra1"})
    assert result.get("failed") and "is in region nyc3; a VPC cannot move to fra1" in result["msg"], result
    assert emulator.writes(since=mark) == []


def test_absent_deletes_and_is_idempotent(run_module, emulator):
    run_module("vpc", {"name": "n8n-e", "region": "lon1"})
    run_module("vpc", {"name": "n8n-e2", "region": "lon1"})  # so n8n-e is not the region's only VPC
    gone = run_module("vpc", {"name": "n8n-e2", "state": "absent"})
    assert gone["changed"] is True and vpcs_named(emulator, "n8n-e2") == []
    again = run_module("vpc", {"name": "n8n-e2", "state": "absent"})
    assert again["changed"] is False and again["api_calls"] == []


def test_converges_with_30_percent_429_and_503(run_module, emulator):
    emulator.faults.set([
        {"path": "^/v2/vpcs", "status": 429, "retry_after": 0, "probability": 0.15},
        {"path": "^/v2/vpcs", "status": 503, "probability": 0.15},
    ], seed=7)
    args = {"name": "n8n-flaky", "region": "tor1", "description": "flaky"}
    for _ in range(3):
        result = run_module("vpc", args)
        assert not result.get("failed"), result
    assert emulator.faults.fired > 0
    assert len(vpcs_named(emulator, "n8n-flaky")) == 1
    assert run_module("vpc", args)["changed"] is False


def test_500_after_the_create_was_applied_leaves_exactly_one(run_module, emulator):
    emulator.faults.set([{"method": "POST", "path": "^/v2/vpcs$", "after_write": True, "status": 500, "times": 1}])
    result = run_module("vpc", {"name": "n8n-once", "region": "blr1"})
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert len(vpcs_named(emulator, "n8n-once")) == 1
    posts = [e for e in emulator.log if e["method"] == "POST"]
    assert len(posts) == 1, posts


def test_bad_token_fails_with_status_and_request_id(run_module, emulator):
    result = run_module("vpc_info", {"token": "dop_v1_wrong"})
    assert result["failed"] and result["status_code"] == 401
    assert result["error_id"] == "unauthorized" and result["request_id"]


@pytest.mark.contract_violation_expected
def test_contract_check_reports_a_request_that_breaks_the_spec(sandbox, emulator):
    import pydo
    from azure.core.exceptions import HttpResponseError

    if not emulator.contract.enabled:
        pytest.skip("contract checks need ../shared/reference/do-openapi.json")
    client = pydo.Client(sandbox.token, endpoint=sandbox.api_url, connection_verify=sandbox.ca.cert_path,
                         retry_total=0)
    with pytest.raises(HttpResponseError) as raised:
        client.vpcs.create(body={"name": "x", "region": "fra1", "ip_range": 42})  # ip_range must be a string
    assert raised.value.status_code == 422
    with pytest.raises(HttpResponseError):
        client.vpcs.list(per_page=500)  # the spec caps per_page at 200
    assert any(v["kind"] == "request" and "ip_range" in v["problem"] for v in emulator.violations), emulator.violations
    assert emulator.store.get("vpcs", {}) == {} or all(v["name"] != "x" for v in emulator.store["vpcs"].values())
    assert any(v["kind"] == "request" and "500" in v["problem"] for v in emulator.violations), emulator.violations
