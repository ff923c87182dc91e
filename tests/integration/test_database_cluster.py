# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""database_cluster / database_cluster_info against the sandbox (real PostgreSQL and Redis behind the emulator)."""

import base64
import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.sandbox

PG = {"engine": "pg", "version": "17", "region": "fra1", "size": "db-s-1vcpu-1gb"}


def clusters_named(emulator, name):
    return [c for c in emulator.store.get("databases", {}).values() if c["name"] == name]


def test_create_waits_then_unchanged_with_zero_writes(run_module, emulator):
    args = dict(PG, name="n8n-db-a")
    first = run_module("database_cluster", args)
    assert first["changed"] is True, first
    assert first["database"]["status"] == "online" and first["waited"] > 0
    assert first["api_calls"] == ["POST /v2/databases 201"]
    assert first["diff"]["after"]["size"] == "db-s-1vcpu-1gb"
    assert "connection" not in first["database"]
    assert all("password" not in u for u in first["database"]["users"])
    mark = len(emulator.log)
    second = run_module("database_cluster", args)
    assert second["changed"] is False and second["api_calls"] == []
    assert emulator.writes(since=mark) == []
    assert len(clusters_named(emulator, "n8n-db-a")) == 1


def test_check_mode_zero_writes_same_diff(run_module, emulator):
    args = dict(PG, name="n8n-db-check", num_nodes=2, size="db-s-1vcpu-2gb")
    checked = run_module("database_cluster", args, check=True)
    assert checked["changed"] is True and checked["api_calls"] == ["POST /v2/databases"]
    assert emulator.writes() == [] and clusters_named(emulator, "n8n-db-check") == []
    real = run_module("database_cluster", args)
    assert real["diff"] == checked["diff"]


def test_resize_goes_through_resize_call_and_waits(run_module, emulator):
    run_module("database_cluster", dict(PG, name="n8n-db-r"))
    original_id = clusters_named(emulator, "n8n-db-r")[0]["id"]
    mark = len(emulator.log)
    change = {"name": "n8n-db-r", "size": "db-s-2vcpu-4gb", "num_nodes": 2, "storage_size_mib": 20480}
    checked = run_module("database_cluster", change, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    assert checked["diff"]["before"]["size"] == "db-s-1vcpu-1gb" and checked["diff"]["after"]["num_nodes"] == 2
    resized = run_module("database_cluster", change)
    assert resized["changed"] is True and resized["diff"] == checked["diff"]
    assert [(w["method"], w["template"]) for w in emulator.writes(since=mark)] == [
        ("PUT", "/v2/databases/{database_cluster_uuid}/resize")]
    assert resized["database"]["status"] == "online"
    assert resized["database"]["id"] == original_id and resized["database"]["size"] == "db-s-2vcpu-4gb"
    assert run_module("database_cluster", change)["changed"] is False


def test_invalid_layout_fails_before_any_write(run_module, emulator):
    result = run_module("database_cluster", dict(PG, name="n8n-db-bad", size="db-s-1vcpu-1gb", num_nodes=3))
    assert result.get("failed") and "size 'db-s-1vcpu-1gb' is not offered for pg with 3 node(s)" in result["msg"]
    result = run_module("database_cluster", dict(PG, name="n8n-db-bad", version="9"))
    assert result.get("failed") and "version '9' is not offered" in result["msg"]
    assert emulator.writes() == []


def test_redis_create_refused_before_any_write_existing_redis_managed(run_module, emulator):
    result = run_module("database_cluster", {"name": "n8n-redis", "engine": "redis", "region": "fra1",
                                             "size": "db-s-1vcpu-1gb"})
    assert result.get("failed") and "valkey" in result["msg"]
    assert emulator.writes() == []
    # An existing Redis cluster (created before 2025-04-30) is managed normally.
    import time
    legacy = {"id": "0b8a4b1c-1111-4222-8333-944455556666", "name": "legacy-redis", "engine": "redis",
              "version": "7", "semantic_version": "7.0", "num_nodes": 1, "size": "db-s-1vcpu-1gb", "region": "fra1",
              "created_at": "2024-01-01T00:00:00Z", "private_network_uuid": "", "tags": [], "storage_size_mib": 10240,
              "project_id": "88b72d1a-b78a-4d9f-9090-b53c4399073f", "maintenance_window": None,
              "metrics_endpoints": [], "_created_ts": time.time() - 3600, "_admin": "default",
              "_default_db": "defaultdb", "_users": {}, "_dbs": {}, "_pools": {}, "_replicas": {}, "_rules": [],
              "_config": {}}
    emulator.store.setdefault("databases", {})[legacy["id"]] = legacy
    same = run_module("database_cluster", {"name": "legacy-redis", "engine": "redis", "size": "db-s-1vcpu-1gb"})
    assert same["changed"] is False, same
    grown = run_module("database_cluster", {"name": "legacy-redis", "size": "db-s-1vcpu-2gb"})
    assert grown["changed"] is True and grown["database"]["size"] == "db-s-1vcpu-2gb", grown


def test_valkey_connection_points_at_real_redis(run_module, emulator, sandbox):
    import redis

    run_module("database_cluster", {"name": "n8n-queue", "engine": "valkey", "region": "fra1",
                                    "size": "db-s-1vcpu-1gb"})
    info = run_module("database_cluster_info", {"name": "n8n-queue", "connection_details": True})
    conn = info["databases"][0]["connection"]
    assert conn["uri"].startswith("rediss://default:") and conn["user"] == "default"
    ca = info["databases"][0]["ca_certificate"]
    assert ca.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" not in ca
    client = redis.Redis(host=conn["host"], port=conn["port"], username=conn["user"], password=conn["password"],
                         ssl=True, ssl_ca_data=ca)
    assert client.ping() is True


def test_psql_select_1_with_verify_full_from_info(run_module, emulator, sandbox, tmp_path):
    run_module("database_cluster", dict(PG, name="n8n-db-psql"))
    info = run_module("database_cluster_info", {"name": "n8n-db-psql", "connection_details": True})
    cluster = info["databases"][0]
    conn = cluster["connection"]
    assert conn["host"] == "127.0.0.1" and conn["ssl"] is True and conn["uri"].endswith("?sslmode=require")
    ca = tmp_path / "ca.pem"
    ca.write_text(cluster["ca_certificate"])
    env = dict(os.environ, PGHOST=conn["host"], PGPORT=str(conn["port"]), PGUSER=conn["user"],
               PGPASSWORD=conn["password"], PGDATABASE=conn["database"], PGSSLMODE="verify-full",
               PGSSLROOTCERT=str(ca))
    out = subprocess.run(["/usr/bin/psql", "-XAtc", "SELECT 1"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
    # The raw API answer is base64 of the PEM, as the real API's.
    import pydo

    client = pydo.Client(sandbox.token, endpoint=sandbox.api_url, connection_verify=sandbox.ca.cert_path)
    raw = client.databases.get_ca(cluster["id"])["ca"]["certificate"]
    assert base64.b64decode(raw).decode() == cluster["ca_certificate"]


def test_info_without_connection_details_has_no_secrets(run_module, emulator):
    run_module("database_cluster", dict(PG, name="n8n-db-info", tags=["n8n"]))
    info = run_module("database_cluster_info", {"tag_name": "n8n"})
    assert [c["name"] for c in info["databases"]] == ["n8n-db-info"]
    text = json.dumps(info["databases"])
    assert "password" not in text and "connection" not in text and "uri" not in text
    assert "contains_secrets" not in info
    with_details = run_module("database_cluster_info", {"name": "n8n-db-info", "connection_details": True})
    assert with_details["contains_secrets"] is True
    assert with_details["databases"][0]["connection"]["password"]


def test_delete_requires_confirmation(run_module, emulator):
    run_module("database_cluster", dict(PG, name="n8n-db-del", wait=False))
    mark = len(emulator.log)
    refused = run_module("database_cluster", {"name": "n8n-db-del", "state": "absent"})
    assert refused.get("failed") and "confirm_delete" in refused["msg"]
    wrong = run_module("database_cluster", {"name": "n8n-db-del", "state": "absent", "confirm_delete": "other"})
    assert wrong.get("failed") and emulator.writes(since=mark) == []
    args = {"name": "n8n-db-del", "state": "absent", "confirm_delete": "n8n-db-del"}
    checked = run_module("database_cluster", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    gone = run_module("database_cluster", args)
    assert gone["changed"] is True and clusters_named(emulator, "n8n-db-del") == []
    assert gone["diff"] == checked["diff"]
    again = run_module("database_cluster", args)
    assert again["changed"] is False and again["api_calls"] == []


def test_converges_with_30_percent_429_and_503_exactly_one_cluster(run_module, emulator):
    emulator.faults.set([
        {"path": "^/v2/databases", "status": 429, "retry_after": 0, "probability": 0.15},
        {"path": "^/v2/databases", "status": 503, "probability": 0.15},
    ], seed=11)
    args = dict(PG, name="n8n-db-flaky")
    for _ in range(3):
        result = run_module("database_cluster", args)
        assert not result.get("failed"), result
    assert emulator.faults.fired > 0
    assert len(clusters_named(emulator, "n8n-db-flaky")) == 1
    emulator.faults.set([])
    assert run_module("database_cluster", args)["changed"] is False


def test_500_after_create_applied_leaves_exactly_one(run_module, emulator):
    emulator.faults.set([{"method": "POST", "path": "^/v2/databases$", "after_write": True, "status": 500, "times": 1}])
    result = run_module("database_cluster", dict(PG, name="n8n-db-once"))
    assert not result.get("failed"), result
    assert len(clusters_named(emulator, "n8n-db-once")) == 1
    assert len([e for e in emulator.log if e["method"] == "POST"]) == 1
