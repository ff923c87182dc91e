# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""spaces_bucket / spaces_bucket_info against the sandbox's S3 server (moto), read back with boto3."""

from concurrent.futures import ThreadPoolExecutor
import json
import os
import uuid

import pytest

pytestmark = pytest.mark.sandbox

FILES = os.path.join(os.path.dirname(__file__), "files")
REGION = "ams3"


@pytest.fixture
def s3(sandbox):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=sandbox.s3.endpoint, region_name=REGION,
                        aws_access_key_id=sandbox.spaces_key["id"], aws_secret_access_key=sandbox.spaces_key["secret"],
                        config=Config(s3={"addressing_style": "path"}))


def bucket_name(prefix="n8n"):
    return "{0}-{1}".format(prefix, uuid.uuid4().hex[:10])


def guide_json(name):
    with open(os.path.join(FILES, name)) as handle:
        return json.load(handle)


def public_grants(s3, bucket):
    return [g["Permission"] for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]
            if g["Grantee"].get("URI", "").endswith("/AllUsers")]


def full_args(bucket):
    return {
        "name": bucket, "region": REGION, "acl": "public-read", "versioning": True,
        "cors_rules": [
            {"allowed_origins": ["https://n8n.example.com", "https://admin.example.com"],
             "allowed_methods": ["GET", "PUT", "POST"], "allowed_headers": ["Content-Type", "Authorization"],
             "max_age_seconds": 600},
            {"allowed_origins": ["*"], "allowed_methods": ["GET"]},
        ],
        "lifecycle_rules": [
            {"id": "expire-temp", "prefix": "temp/", "expiration_days": 7},
            {"id": "abort-uploads", "abort_incomplete_multipart_upload_days": 2},
        ],
        "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::{0}/public/*".format(bucket)},
            {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteBucket"],
             "Resource": ["arn:aws:s3:::{0}/backups/*".format(bucket), "arn:aws:s3:::{0}".format(bucket)]},
        ]},
    }


def test_all_settings_applied_then_unchanged_with_zero_writes(run_module, s3):
    bucket = bucket_name()
    args = full_args(bucket)
    first = run_module("spaces_bucket", args)
    assert first["changed"] is True, first
    assert not first.get("failed"), first
    # s3cmd-info-level state, read back independently
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION
    assert public_grants(s3, bucket) == ["READ"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert sorted(sorted(r["AllowedOrigins"]) for r in cors) == [["*"], ["https://admin.example.com",
                                                                       "https://n8n.example.com"]]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-temp"]["Expiration"]["Days"] == 7 and rules["expire-temp"]["Filter"]["Prefix"] == "temp/"
    assert rules["abort-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 2
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {"PublicRead", "DenyDelete"}
    methods = sorted(c.split(" ")[1] for c in first["api_calls"])
    assert methods == sorted("/{0}{1}".format(bucket, q) for q in
                             ["", "?versioning", "?cors", "?lifecycle", "?policy"]), first["api_calls"]

    second = run_module("spaces_bucket", args)
    assert second["changed"] is False, second
    assert second["api_calls"] == []


def test_rules_in_another_order_are_unchanged(run_module):
    bucket = bucket_name()
    args = full_args(bucket)
    assert run_module("spaces_bucket", args)["changed"] is True
    shuffled = dict(args)
    first_rule, second_rule = args["cors_rules"]
    shuffled["cors_rules"] = [
        second_rule,
        {"allowed_origins": list(reversed(first_rule["allowed_origins"])), "allowed_methods": ["post", "put", "get"],
         "allowed_headers": ["authorization", "content-type"], "max_age_seconds": 600},
    ]
    shuffled["lifecycle_rules"] = list(reversed(args["lifecycle_rules"]))
    statements = args["policy"]["Statement"]
    deny = dict(statements[1], Action=list(reversed(statements[1]["Action"])),
                Resource=list(reversed(statements[1]["Resource"])))
    allow = dict(statements[0], Action=[statements[0]["Action"]])
    shuffled["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [deny, allow]})
    result = run_module("spaces_bucket", shuffled)
    assert result["changed"] is False, result
    assert result["api_calls"] == []


def test_check_mode_writes_nothing(run_module, s3):
    bucket = bucket_name()
    result = run_module("spaces_bucket", full_args(bucket), check=True)
    assert result["changed"] is True
    assert "PUT /{0}".format(bucket) in result["api_calls"]
    assert "PUT /{0}?cors".format(bucket) in result["api_calls"]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]

    run_module("spaces_bucket", {"name": bucket, "region": REGION})
    changed = run_module("spaces_bucket", dict(full_args(bucket), versioning=False), check=True)
    assert changed["changed"] is True
    assert all(len(c.split(" ")) == 2 for c in changed["api_calls"]), changed["api_calls"]  # planned, not sent
    assert changed["diff"]["before"]["cors_rules"] == []
    assert changed["diff"]["after"]["cors_rules"]
    assert public_grants(s3, bucket) == []
    with pytest.raises(Exception):
        s3.get_bucket_cors(Bucket=bucket)


def test_guide_cors_and_lifecycle_json_apply_as_they_are_and_are_idempotent(run_module, s3):
    bucket = bucket_name()
    cors, lifecycle = guide_json("cors-config.json"), guide_json("lifecycle-config.json")
    args = {"name": bucket, "region": REGION, "cors_rules": cors, "lifecycle_rules": lifecycle}
    first = run_module("spaces_bucket", args)
    assert first["changed"] is True, first
    stored = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert stored[0]["AllowedOrigins"] == ["https://your-app.ondigitalocean.app"]
    assert sorted(stored[0]["AllowedMethods"]) == ["DELETE", "GET", "POST", "PUT"]
    assert stored[0]["MaxAgeSeconds"] == 3000
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["Expiration"]["Days"] == 90 and rules[0]["Filter"]["Prefix"] == "temp/"
    again = run_module("spaces_bucket", args)
    assert again["changed"] is False and again["api_calls"] == []
    # the files' text, as lookup('file') gives it, works too
    as_text = {"name": bucket, "region": REGION,
               "cors_rules": open(os.path.join(FILES, "cors-config.json")).read(),
               "lifecycle_rules": open(os.path.join(FILES, "lifecycle-config.json")).read()}
    assert run_module("spaces_bucket", as_text)["changed"] is False


def test_update_purge_and_removal(run_module, s3):
    bucket = bucket_name()
    base = {"name": bucket, "region": REGION}
    run_module("spaces_bucket", dict(base, cors_rules=[{"allowed_origins": ["https://a"], "allowed_methods": ["GET"]}]))
    added = run_module("spaces_bucket", dict(base, purge_cors_rules=False,
                                             cors_rules=[{"allowed_origins": ["https://b"], "allowed_methods": ["PUT"]}]))
    assert added["changed"] is True
    assert sorted(r["AllowedOrigins"][0] for r in s3.get_bucket_cors(Bucket=bucket)["CORSRules"]) == ["https://a",
                                                                                                      "https://b"]
    replaced = run_module("spaces_bucket", dict(base, cors_rules=[{"allowed_origins": ["https://b"],
                                                                   "allowed_methods": ["PUT"]}]))
    assert replaced["changed"] is True
    assert [r["AllowedOrigins"] for r in s3.get_bucket_cors(Bucket=bucket)["CORSRules"]] == [["https://b"]]
    removed = run_module("spaces_bucket", dict(base, cors_rules=[], policy={}))
    assert removed["changed"] is True
    assert removed["api_calls"] == ["DELETE /{0}?cors 204".format(bucket)], removed["api_calls"]
    with pytest.raises(Exception):
        s3.get_bucket_cors(Bucket=bucket)
    assert run_module("spaces_bucket", dict(base, cors_rules=[], policy={}))["changed"] is False


def test_absent_refuses_a_non_empty_bucket_unless_force(run_module, s3):
    bucket = bucket_name()
    run_module("spaces_bucket", {"name": bucket, "region": REGION, "versioning": True})
    s3.put_object(Bucket=bucket, Key="backups/one.sql", Body=b"1")
    s3.put_object(Bucket=bucket, Key="backups/one.sql", Body=b"2")  # a second version
    refused = run_module("spaces_bucket", {"name": bucket, "region": REGION, "state": "absent"})
    assert refused.get("failed") and "not empty" in refused["msg"], refused
    assert refused.get("api_calls") == []
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    checked = run_module("spaces_bucket", {"name": bucket, "region": REGION, "state": "absent", "force": True},
                         check=True)
    assert checked["changed"] is True and bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    gone = run_module("spaces_bucket", {"name": bucket, "region": REGION, "state": "absent", "force": True})
    assert gone["changed"] is True and gone["deleted_objects"] == 2, gone
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    again = run_module("spaces_bucket", {"name": bucket, "region": REGION, "state": "absent"})
    assert again["changed"] is False and again["api_calls"] == []


def test_bad_rules_fail_before_any_write(run_module, s3):
    bucket = bucket_name()
    result = run_module("spaces_bucket", {"name": bucket, "region": REGION,
                                          "cors_rules": [{"allowed_origin": ["https://typo"], "allowed_methods": ["GET"]}]})
    assert result.get("failed") and "AllowedOrigin" in result["msg"], result
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_bucket_info_settings_and_usage(run_module, s3):
    bucket = bucket_name("info")
    run_module("spaces_bucket", {"name": bucket, "region": REGION, "versioning": True,
                                 "cors_rules": guide_json("cors-config.json")})
    with ThreadPoolExecutor(16) as pool:  # more than one listing page (1000 keys)
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key="data/{0:05d}".format(i), Body=b"x" * (i % 7)),
                      range(1003)))
    info = run_module("spaces_bucket_info", {"name": bucket, "region": REGION, "usage": True})
    assert not info.get("failed"), info
    [found] = info["buckets"]
    assert found["name"] == bucket and found["versioning"] is True and found["acl"] == "private"
    assert found["cors_rules"][0]["MaxAgeSeconds"] == 3000
    assert found["object_count"] == 1003
    assert found["size_bytes"] == sum(i % 7 for i in range(1003))
    every = run_module("spaces_bucket_info", {"region": REGION})
    assert bucket in [b["name"] for b in every["buckets"]]
    assert "object_count" not in [b for b in every["buckets"] if b["name"] == bucket][0]
    missing = run_module("spaces_bucket_info", {"name": bucket_name("none"), "region": REGION})
    assert missing["buckets"] == []
