# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cdn_endpoint against the emulator."""

import uuid

import pytest

pytestmark = pytest.mark.sandbox

CERT = "892071a0-bb95-49bc-8021-3afd67a210bf"


def endpoints_for(emulator, bucket):
    return [e for e in emulator.store.get("cdn_endpoints", {}).values() if e["origin"].startswith(bucket + ".")]


def test_created_unchanged_updated_purged_deleted(run_module, emulator):
    bucket = "cdn-" + uuid.uuid4().hex[:8]
    args = {"bucket": bucket, "region": "ams3", "ttl": 86400}
    first = run_module("cdn_endpoint", args)
    assert first["changed"] is True, first
    assert first["endpoint"]["origin"] == bucket + ".ams3.digitaloceanspaces.com"
    assert first["endpoint"]["endpoint"] == bucket + ".ams3.cdn.digitaloceanspaces.com"
    assert first["api_calls"] == ["POST /v2/cdn/endpoints 201"]
    mark = len(emulator.log)
    assert run_module("cdn_endpoint", args)["changed"] is False
    assert emulator.writes(since=mark) == []

    checked = run_module("cdn_endpoint", dict(args, ttl=600), check=True)
    assert checked["changed"] is True and emulator.writes(since=mark) == []
    assert checked["diff"]["before"]["ttl"] == 86400 and checked["diff"]["after"]["ttl"] == 600
    updated = run_module("cdn_endpoint", dict(args, ttl=600, custom_domain="files.example.com", certificate_id=CERT))
    assert updated["changed"] is True and updated["endpoint"]["ttl"] == 600
    assert updated["endpoint"]["custom_domain"] == "files.example.com"

    mark = len(emulator.log)
    purged = run_module("cdn_endpoint", {"bucket": bucket, "region": "ams3", "purge": ["assets/*", "index.html"]})
    assert purged["changed"] is True and purged["purged"] == ["assets/*", "index.html"]
    [write] = emulator.writes(since=mark)
    assert (write["method"], write["template"]) == ("DELETE", "/v2/cdn/endpoints/{cdn_id}/cache")
    endpoint_id = first["endpoint"]["id"]
    assert emulator.store["cdn_purges"][endpoint_id] == [["assets/*", "index.html"]]
    assert len(endpoints_for(emulator, bucket)) == 1

    gone = run_module("cdn_endpoint", {"bucket": bucket, "region": "ams3", "state": "absent"})
    assert gone["changed"] is True and endpoints_for(emulator, bucket) == []
    assert run_module("cdn_endpoint", {"bucket": bucket, "region": "ams3", "state": "absent"})["changed"] is False


def test_ttl_outside_the_api_values_and_domain_without_certificate_fail_before_sending(run_module, emulator):
    bad_ttl = run_module("cdn_endpoint", {"bucket": "cdn-x", "region": "ams3", "ttl": 120})
    assert bad_ttl.get("failed") and "ttl" in bad_ttl["msg"]
    no_cert = run_module("cdn_endpoint", {"bucket": "cdn-x", "region": "ams3", "custom_domain": "a.example.com"})
    assert no_cert.get("failed") and "certificate_id" in no_cert["msg"]
    assert emulator.writes() == []


def test_500_after_create_leaves_one_endpoint(run_module, emulator):
    bucket = "cdn-" + uuid.uuid4().hex[:8]
    emulator.faults.set([{"method": "POST", "path": "^/v2/cdn/endpoints$", "after_write": True, "status": 500,
                          "times": 1}])
    result = run_module("cdn_endpoint", {"bucket": bucket, "region": "fra1"})
    assert not result.get("failed"), result
    assert len(endpoints_for(emulator, bucket)) == 1
