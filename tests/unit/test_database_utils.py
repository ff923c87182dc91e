# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests: _database helpers, firewall planning, config comparison."""

import base64
import datetime
import os
import stat

from ansible_collections.appplatform.n8n.plugins.module_utils._client import DOClient
from ansible_collections.appplatform.n8n.plugins.module_utils._database import (
    check_layout,
    decode_ca,
    find_cluster,
    libpq_env,
    strip_secrets,
    write_ca_file,
)
from ansible_collections.appplatform.n8n.plugins.modules.database_config import changes
from ansible_collections.appplatform.n8n.plugins.modules.database_firewall import plan

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
OPTIONS = {
    "options": {
        "pg": {"regions": ["fra1", "nyc3"], "versions": ["13", "16", "17"], "default_version": "17",
               "layouts": [{"num_nodes": 1, "sizes": ["db-s-1vcpu-1gb", "db-s-1vcpu-2gb"]},
                           {"num_nodes": 2, "sizes": ["db-s-1vcpu-2gb"]}]},
        "redis": {"regions": ["fra1"], "versions": ["7"], "layouts": [{"num_nodes": 1, "sizes": ["db-s-1vcpu-1gb"]}]},
        "newdb": {"regions": ["fra1"], "versions": ["1"], "default_version": "1",
                  "layouts": [{"num_nodes": 1, "sizes": ["x"]}]},
    },
    "version_availability": {
        "pg": [{"version": "13", "end_of_availability": "2025-05-13T00:00:00Z"},
               {"version": "17", "end_of_availability": None}],
        "redis": [{"version": "7", "end_of_availability": "2025-04-30T00:00:00Z"}],
        "newdb": [{"version": "1", "end_of_availability": "2026-01-01T00:00:00Z"}],
    },
}


def test_check_layout_accepts_offered_layouts():
    assert check_layout(OPTIONS, "pg", region="fra1", size="db-s-1vcpu-2gb", num_nodes=2, version="17",
                        creating=True, now=NOW) == []


def test_check_layout_names_each_problem_with_the_valid_values():
    problems = check_layout(OPTIONS, "pg", region="tor1", size="db-s-1vcpu-1gb", num_nodes=2, version="12",
                            creating=True, now=NOW)
    text = " ".join(problems)
    assert "region 'tor1'" in text and "fra1, nyc3" in text
    assert "version '12'" in text and "size 'db-s-1vcpu-1gb' is not offered for pg with 2 node(s)" in text
    assert "node counts" in check_layout(OPTIONS, "pg", size="db-s-1vcpu-1gb", num_nodes=3, now=NOW)[0]
    assert "engines: newdb, pg, redis" in check_layout(OPTIONS, "mysql", now=NOW)[0]


def test_check_layout_refuses_retired_engines_and_versions_only_for_new_clusters():
    assert "valkey" in check_layout(OPTIONS, "redis", creating=True, now=NOW)[0]
    assert check_layout(OPTIONS, "redis", size="db-s-1vcpu-1gb", num_nodes=1, creating=False, now=NOW) == []
    # Data-driven: an engine whose every version is past its end of availability.
    assert "no longer be used" in check_layout(OPTIONS, "newdb", creating=True, now=NOW)[0]
    assert "pg version 13 can no longer" in check_layout(OPTIONS, "pg", version="13", creating=True, now=NOW)[0]
    assert check_layout(OPTIONS, "pg", version="13", creating=False, now=NOW) == []


def test_strip_secrets_removes_connections_and_passwords():
    cluster = {"id": "x", "connection": {"password": "p"}, "private_connection": {}, "standby_connection": {},
               "users": [{"name": "doadmin", "password": "p", "role": "primary"}], "name": "n"}
    out = strip_secrets(cluster)
    assert out == {"id": "x", "name": "n", "users": [{"name": "doadmin", "role": "primary"}]}
    assert cluster["users"][0]["password"] == "p"  # input untouched


def test_decode_ca_and_write_ca_file(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    assert decode_ca(base64.b64encode(pem.encode()).decode()) == pem
    assert decode_ca(pem) == pem
    assert decode_ca(None) == ""
    path = write_ca_file(pem, directory=str(tmp_path))
    assert open(path).read() == pem
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_libpq_env_verify_full_with_ca():
    conn = {"host": "db.example", "port": 25060, "user": "doadmin", "password": "pw", "database": "defaultdb"}
    env = libpq_env(conn, ca_file="/tmp/ca.pem")
    assert env == {"PGHOST": "db.example", "PGPORT": "25060", "PGUSER": "doadmin", "PGPASSWORD": "pw",
                   "PGDATABASE": "defaultdb", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/tmp/ca.pem"}
    assert libpq_env(conn)["PGSSLMODE"] == "require" and "PGSSLROOTCERT" not in libpq_env(conn)


class FakeDatabases:
    def __init__(self, clusters):
        self.clusters = clusters
        self.calls = []

    def get_cluster(self, ref, cls=None):
        self.calls.append(("get", ref))
        found = [c for c in self.clusters if c["id"] == ref]
        if found:
            return cls(FakeResponse(200), {"database": found[0]}, {})
        return cls(FakeResponse(404), {"id": "not_found", "message": "nope"}, {})

    def list_clusters(self, cls=None, **kwargs):
        self.calls.append(("list", kwargs))
        return cls(FakeResponse(200), {"databases": self.clusters}, {})


class FakeResponse:
    def __init__(self, status):
        self.http_response = self
        self.status_code = status
        self.headers = {}


class FakePydo:
    def __init__(self, clusters):
        self.databases = FakeDatabases(clusters)


def test_find_cluster_by_uuid_or_name():
    uuid = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
    fake = FakePydo([{"id": uuid, "name": "n8n-db"}])
    client = DOClient("t", pydo_client=fake)
    assert find_cluster(client, uuid)["name"] == "n8n-db"
    assert fake.databases.calls == [("get", uuid)]
    assert find_cluster(client, "n8n-db")["id"] == uuid
    assert find_cluster(client, "other") is None
    assert find_cluster(client, "00000000-0000-4000-8000-000000000000") is None


def test_firewall_plan_set_semantics():
    current = [{"uuid": "1", "type": "ip_addr", "value": "10.0.0.1", "description": "a", "created_at": "t"},
               {"uuid": "2", "type": "tag", "value": "n8n", "created_at": "t"}]
    same = plan(current, [{"type": "tag", "value": "n8n", "description": None},
                          {"type": "ip_addr", "value": "10.0.0.1", "description": None}], False, "present")
    assert same == [{"type": "ip_addr", "value": "10.0.0.1", "description": "a"}, {"type": "tag", "value": "n8n"}]
    added = plan(current, [{"type": "app", "value": "u", "description": None}], False, "present")
    assert len(added) == 3
    purged = plan(current, [{"type": "app", "value": "u", "description": None}], True, "present")
    assert purged == [{"type": "app", "value": "u"}]
    removed = plan(current, [{"type": "ip_addr", "value": "10.0.0.1", "description": None}], False, "absent")
    assert removed == [{"type": "tag", "value": "n8n"}]
    described = plan(current, [{"type": "tag", "value": "n8n", "description": "workers"}], False, "present")
    assert {"type": "tag", "value": "n8n", "description": "workers"} in described


def test_config_changes_coerce_to_current_types_and_only_given_keys():
    current = {"work_mem": 4, "jit": True, "timezone": "UTC", "ratio": 0.5, "pgbouncer": {"a": 1, "b": 2}}
    assert changes({"work_mem": "4", "jit": "yes", "ratio": "0.5"}, current) == {}
    assert changes({"work_mem": "8", "jit": "false"}, current) == {"work_mem": 8, "jit": False}
    assert changes({"pgbouncer": {"b": 3}}, current) == {"pgbouncer": {"a": 1, "b": 3}}
    assert changes({"new_key": 1}, current) == {"new_key": 1}
