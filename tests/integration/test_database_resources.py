# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""database_firewall, _pool, _user, _db, _replica, _config, _options_info against the sandbox."""

import pytest

pytestmark = pytest.mark.sandbox

PG = {"engine": "pg", "region": "fra1", "size": "db-s-1vcpu-2gb"}
APP_ID = "4de7ac8b-495b-4884-9a69-1050c6793cd6"


def cluster(run_module, emulator, name, **extra):
    result = run_module("database_cluster", dict(PG, name=name, **extra))
    assert not result.get("failed"), result
    return [c for c in emulator.store["databases"].values() if c["name"] == name][0]


def assert_zero_writes_second_run(run_module, emulator, module, args):
    mark = len(emulator.log)
    again = run_module(module, args)
    assert again["changed"] is False, again
    assert again["api_calls"] == [] and emulator.writes(since=mark) == []
    return again


# -- firewall ------------------------------------------------------------------------------------


@pytest.fixture
def known_app(emulator):
    """An app id the emulator knows (firewall rules of type app accept only those); removed afterwards."""
    emulator.store.setdefault("apps", {})[APP_ID] = {"id": APP_ID, "spec": {"name": "fw-test-app"},
                                                     "created_at": "2026-01-01T00:00:00Z"}
    yield APP_ID
    emulator.store["apps"].pop(APP_ID, None)


def test_firewall_set_semantics_purge_and_absent(run_module, emulator, known_app):
    c = cluster(run_module, emulator, "fw-db")
    rules = [{"type": "ip_addr", "value": "203.0.113.0/24", "description": "office"},
             {"type": "app", "value": APP_ID}]
    args = {"cluster": "fw-db", "rules": rules}
    mark = len(emulator.log)
    checked = run_module("database_firewall", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    first = run_module("database_firewall", args)
    assert first["changed"] is True and first["diff"] == checked["diff"]
    assert sorted((r["type"], r["value"]) for r in first["rules"]) == [("app", APP_ID), ("ip_addr", "203.0.113.0/24")]
    assert all(r["uuid"] and r["cluster_uuid"] == c["id"] for r in first["rules"])
    # Same rules in another order: unchanged, zero writes (the anchor bug reported "changed" every run).
    assert_zero_writes_second_run(run_module, emulator, "database_firewall",
                                  {"cluster": c["id"], "rules": list(reversed(rules))})
    # Adding one keeps the others (purge defaults to false).
    added = run_module("database_firewall", {"cluster": "fw-db", "rules": [{"type": "tag", "value": "n8n"}]})
    assert added["changed"] and len(added["rules"]) == 3
    # absent removes only the listed rules (the anchor bug ignored it).
    mark = len(emulator.log)
    removed = run_module("database_firewall", {"cluster": "fw-db", "state": "absent",
                                               "rules": [{"type": "ip_addr", "value": "203.0.113.0/24"}]})
    assert removed["changed"] and [w["method"] for w in emulator.writes(since=mark)] == ["PUT"]
    assert sorted(r["type"] for r in removed["rules"]) == ["app", "tag"]
    assert_zero_writes_second_run(run_module, emulator, "database_firewall",
                                  {"cluster": "fw-db", "state": "absent",
                                   "rules": [{"type": "ip_addr", "value": "203.0.113.0/24"}]})
    purged = run_module("database_firewall", {"cluster": "fw-db", "purge": True,
                                              "rules": [{"type": "app", "value": APP_ID}]})
    assert purged["changed"] and [(r["type"], r["value"]) for r in purged["rules"]] == [("app", APP_ID)]


def test_firewall_unknown_app_is_refused_by_the_api(run_module, emulator):
    cluster(run_module, emulator, "fw-db2")
    result = run_module("database_firewall", {"cluster": "fw-db2", "rules": [
        {"type": "app", "value": "00000000-0000-4000-8000-000000000000"}]})
    assert result.get("failed") and result["status_code"] == 422 and "not found" in result["msg"]


# -- db, user, pool ------------------------------------------------------------------------------


def test_db_create_unchanged_delete_with_real_database(run_module, emulator, sandbox):
    cluster(run_module, emulator, "dbs-db")
    args = {"cluster": "dbs-db", "name": "n8n_dbs"}
    mark = len(emulator.log)
    checked = run_module("database_db", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    created = run_module("database_db", args)
    assert created["changed"] and created["db"] == {"name": "n8n_dbs"} and created["diff"] == checked["diff"]
    admin = sandbox.emulator.services["postgres"]["admin"]
    assert admin.psql("SELECT datname FROM pg_database WHERE datname = 'n8n_dbs'").strip() == "n8n_dbs"
    assert_zero_writes_second_run(run_module, emulator, "database_db", args)
    gone = run_module("database_db", dict(args, state="absent"))
    assert gone["changed"] and admin.psql("SELECT datname FROM pg_database WHERE datname = 'n8n_dbs'").strip() == ""
    assert_zero_writes_second_run(run_module, emulator, "database_db", dict(args, state="absent"))


def test_user_create_update_delete_and_real_login(run_module, emulator, tmp_path):
    import psycopg

    cluster(run_module, emulator, "users-db")
    args = {"cluster": "users-db", "name": "n8n_user"}
    mark = len(emulator.log)
    checked = run_module("database_user", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    created = run_module("database_user", dict(args, return_credentials=True))
    assert created["changed"] and created["user"]["role"] == "normal" and created["user"]["password"]
    assert created["contains_secrets"] is True
    info = run_module("database_cluster_info", {"name": "users-db", "connection_details": True})
    conn = info["databases"][0]["connection"]
    ca = tmp_path / "ca.pem"
    ca.write_text(info["databases"][0]["ca_certificate"])
    with psycopg.connect(host=conn["host"], port=conn["port"], user="n8n_user", password=created["user"]["password"],
                         dbname=conn["database"], sslmode="verify-full", sslrootcert=str(ca)) as db:
        assert db.execute("SELECT current_user").fetchone()[0] == "n8n_user"
    plain = assert_zero_writes_second_run(run_module, emulator, "database_user", args)
    assert "password" not in plain["user"] and "contains_secrets" not in plain
    mark = len(emulator.log)
    upd_args = dict(args, pg_allow_replication=True)
    upd_check = run_module("database_user", upd_args, check=True)
    assert upd_check["changed"] and emulator.writes(since=mark) == []
    updated = run_module("database_user", upd_args)
    assert updated["changed"] and updated["user"]["settings"]["pg_allow_replication"] is True
    assert updated["diff"] == upd_check["diff"]
    assert [w["method"] for w in emulator.writes(since=mark)] == ["PUT"]
    assert_zero_writes_second_run(run_module, emulator, "database_user", upd_args)
    reset = run_module("database_user", dict(args, reset_password=True, return_credentials=True))
    assert reset["changed"] and reset["user"]["password"] != created["user"]["password"]
    gone = run_module("database_user", dict(args, state="absent"))
    assert gone["changed"] and gone["user"] == {}
    assert_zero_writes_second_run(run_module, emulator, "database_user", dict(args, state="absent"))


def test_pool_update_sends_full_object_keeping_the_user(run_module, emulator):
    c = cluster(run_module, emulator, "pools-db")
    run_module("database_db", {"cluster": "pools-db", "name": "n8n_pool_db"})
    run_module("database_user", {"cluster": "pools-db", "name": "n8n_pool_user"})
    args = {"cluster": "pools-db", "name": "n8n-pool", "mode": "transaction", "size": 10, "db": "n8n_pool_db",
            "user": "n8n_pool_user"}
    mark = len(emulator.log)
    checked = run_module("database_pool", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    created = run_module("database_pool", args)
    assert created["changed"] and created["pool"]["user"] == "n8n_pool_user" and "connection" not in created["pool"]
    assert created["diff"] == checked["diff"]
    assert_zero_writes_second_run(run_module, emulator, "database_pool", args)
    # Only the size given: the PUT still carries mode, db and user, so the user survives.
    mark = len(emulator.log)
    resized = run_module("database_pool", {"cluster": "pools-db", "name": "n8n-pool", "size": 15})
    assert resized["changed"] and resized["pool"]["size"] == 15 and resized["pool"]["user"] == "n8n_pool_user"
    assert [w["method"] for w in emulator.writes(since=mark)] == ["PUT"]
    assert emulator.store["databases"][c["id"]]["_pools"]["n8n-pool"]["user"] == "n8n_pool_user"
    gone = run_module("database_pool", {"cluster": "pools-db", "name": "n8n-pool", "state": "absent"})
    assert gone["changed"] and gone["pool"] == {}
    assert_zero_writes_second_run(run_module, emulator, "database_pool",
                                  {"cluster": "pools-db", "name": "n8n-pool", "state": "absent"})


# -- replica -------------------------------------------------------------------------------------


def test_replica_create_wait_unchanged_refuse_change_delete(run_module, emulator):
    cluster(run_module, emulator, "repl-db")
    args = {"cluster": "repl-db", "name": "repl-db-read", "size": "db-s-2vcpu-4gb"}
    mark = len(emulator.log)
    checked = run_module("database_replica", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    created = run_module("database_replica", args)
    assert created["changed"] and created["replica"]["status"] == "online" and created["waited"] > 0
    assert created["diff"] == checked["diff"] and "connection" not in created["replica"]
    assert_zero_writes_second_run(run_module, emulator, "database_replica", args)
    mark = len(emulator.log)
    bigger = run_module("database_replica", dict(args, size="db-s-4vcpu-8gb"))
    assert bigger.get("failed") and "re-create" in bigger["msg"] and emulator.writes(since=mark) == []
    gone = run_module("database_replica", dict(args, state="absent"))
    assert gone["changed"] and gone["replica"] == {}
    assert_zero_writes_second_run(run_module, emulator, "database_replica", dict(args, state="absent"))


def test_replica_refused_for_valkey(run_module, emulator):
    run_module("database_cluster", {"name": "repl-valkey", "engine": "valkey", "region": "fra1",
                                    "size": "db-s-1vcpu-1gb"})
    result = run_module("database_replica", {"cluster": "repl-valkey", "name": "x", "size": "db-s-1vcpu-1gb"})
    assert result.get("failed") and result["status_code"] == 422


# -- config, options -----------------------------------------------------------------------------


def test_config_compares_only_given_keys(run_module, emulator):
    cluster(run_module, emulator, "cfg-db")
    args = {"cluster": "cfg-db", "config": {"work_mem": "8", "jit": "false"}}
    mark = len(emulator.log)
    checked = run_module("database_config", args, check=True)
    assert checked["changed"] and emulator.writes(since=mark) == []
    assert checked["diff"] == {"before": {"work_mem": 4, "jit": True}, "after": {"work_mem": 8, "jit": False}}
    mark = len(emulator.log)
    updated = run_module("database_config", args)
    assert updated["changed"] and updated["config"]["work_mem"] == 8 and updated["config"]["timezone"] == "UTC"
    assert updated["diff"] == checked["diff"]
    assert [w["method"] for w in emulator.writes(since=mark)] == ["PATCH"]
    assert_zero_writes_second_run(run_module, emulator, "database_config", {"cluster": "cfg-db",
                                                                            "config": {"work_mem": 8}})


def test_config_valkey_and_wrong_engine_key(run_module, emulator):
    run_module("database_cluster", {"name": "cfg-valkey", "engine": "valkey", "region": "fra1",
                                    "size": "db-s-1vcpu-1gb"})
    ok = run_module("database_config", {"cluster": "cfg-valkey", "config": {"valkey_maxmemory_policy": "allkeys_lru"}})
    assert ok["changed"] and ok["config"]["valkey_maxmemory_policy"] == "allkeys_lru"
    bad = run_module("database_config", {"cluster": "cfg-valkey", "config": {"work_mem": 8}})
    assert bad.get("failed") and bad["status_code"] == 400


def test_options_info(run_module, emulator):
    everything = run_module("database_options_info", {})
    assert {"pg", "valkey", "redis"} <= set(everything["options"])
    assert "pg" in everything["creatable_engines"] and "valkey" in everything["creatable_engines"]
    assert "redis" not in everything["creatable_engines"]
    pg = run_module("database_options_info", {"engine": "pg"})
    assert list(pg["options"]) == ["pg"] and "17" in pg["options"]["pg"]["versions"]
    assert run_module("database_options_info", {"engine": "nope"}).get("failed")
    assert emulator.writes() == []


def test_modules_fail_clearly_without_the_cluster(run_module, emulator):
    for module, args in (("database_db", {"name": "x"}), ("database_user", {"name": "x"}),
                         ("database_pool", {"name": "x", "mode": "session", "size": 1, "db": "x"}),
                         ("database_config", {"config": {"work_mem": 1}}),
                         ("database_firewall", {"rules": []})):
        result = run_module(module, dict(args, cluster="no-such-cluster"))
        assert result.get("failed") and "No database cluster 'no-such-cluster'" in result["msg"], (module, result)
    assert run_module("database_db", {"cluster": "no-such-cluster", "name": "x", "state": "absent"})["changed"] is False
