# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Spaces helpers without a server: canonical comparison of rules and policies, credentials, client settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.appplatform.n8n.plugins.module_utils import _spaces
from ansible_collections.appplatform.n8n.plugins.module_utils._spaces_bucket import (
    RulesError,
    canned_acl,
    canonical_cors_rule,
    canonical_lifecycle_rule,
    canonical_policy,
    cors_rules_from_option,
    lifecycle_rules_from_option,
    match_rules,
    rules_in_sync,
)

GUIDE_CORS = {"CORSRules": [{"AllowedOrigins": ["https://your-app.ondigitalocean.app"],
                             "AllowedMethods": ["GET", "PUT", "POST", "DELETE"], "AllowedHeaders": ["*"],
                             "MaxAgeSeconds": 3000}]}
GUIDE_LIFECYCLE = {"Rules": [{"Status": "Enabled", "Expiration": {"Days": 90}, "Filter": {"Prefix": "temp/"}}]}


def test_guide_cors_document_and_snake_case_options_are_the_same_rules():
    from_json = cors_rules_from_option(GUIDE_CORS)
    from_text = cors_rules_from_option(json.dumps(GUIDE_CORS))
    from_snake = cors_rules_from_option([{"allowed_origins": "https://your-app.ondigitalocean.app",
                                          "allowed_methods": ["delete", "post", "put", "get"],
                                          "allowed_headers": ["*"], "max_age_seconds": "3000"}])
    assert from_json == from_text == GUIDE_CORS["CORSRules"]
    assert rules_in_sync(from_snake, from_json, canonical_cors_rule, purge=True)


def test_cors_difference_is_seen():
    stored = GUIDE_CORS["CORSRules"]
    other = cors_rules_from_option([dict(GUIDE_CORS["CORSRules"][0], MaxAgeSeconds=60)])
    assert not rules_in_sync(other, stored, canonical_cors_rule, purge=True)
    missing, extra = match_rules(other, stored, canonical_cors_rule)
    assert missing == other and extra == stored


def test_purge_false_only_needs_the_desired_rules():
    stored = GUIDE_CORS["CORSRules"] + [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]
    assert rules_in_sync(GUIDE_CORS["CORSRules"], stored, canonical_cors_rule, purge=False)
    assert not rules_in_sync(GUIDE_CORS["CORSRules"], stored, canonical_cors_rule, purge=True)


def test_guide_lifecycle_matches_a_stored_rule_with_an_id_the_store_chose():
    desired = lifecycle_rules_from_option(GUIDE_LIFECYCLE)
    stored = [{"ID": "x7f3k", "Status": "Enabled", "Expiration": {"Days": 90}, "Filter": {"Prefix": "temp/"}}]
    assert rules_in_sync(desired, stored, canonical_lifecycle_rule, purge=True)
    # a user-chosen ID must match
    assert not rules_in_sync([dict(desired[0], ID="mine")], stored, canonical_lifecycle_rule, purge=True)


def test_lifecycle_shorthands_and_legacy_prefix():
    snake = lifecycle_rules_from_option([{"prefix": "temp/", "expiration_days": 90}])
    legacy = [{"Prefix": "temp/", "Status": "Enabled", "Expiration": {"Days": 90}}]
    assert snake == [{"Status": "Enabled", "Filter": {"Prefix": "temp/"}, "Expiration": {"Days": 90}}]
    assert canonical_lifecycle_rule(snake[0]) == canonical_lifecycle_rule(legacy[0])


@pytest.mark.parametrize("bad", [
    [{"status": "on", "expiration_days": 1}],
    [{"prefix": "x/"}],
    {"NotRules": []},
    "{not json",
])
def test_bad_lifecycle_rules_are_refused(bad):
    with pytest.raises(RulesError):
        lifecycle_rules_from_option(bad)


def test_unknown_cors_field_is_refused():
    with pytest.raises(RulesError, match="AllowedOrigin"):
        cors_rules_from_option([{"allowed_origin": ["x"], "allowed_methods": ["GET"]}])


def test_policy_compared_semantically():
    one = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"},
        {"Effect": "Deny", "Principal": {"AWS": ["b", "a"]}, "Action": ["s3:DeleteObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::b/*"}]}
    two = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": ["a", "b"]}, "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": ["arn:aws:s3:::b/*"]},
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/public/*"}]}
    assert canonical_policy(one) == canonical_policy(two)
    two["Statement"][1]["Effect"] = "Deny"
    assert canonical_policy(one) != canonical_policy(two)


def test_canned_acl_from_grants():
    owner = {"Grantee": {"Type": "CanonicalUser", "ID": "x"}, "Permission": "FULL_CONTROL"}
    public = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
              "Permission": "READ"}
    assert canned_acl([owner]) == "private"
    assert canned_acl([owner, public]) == "public-read"


def test_credentials_options_then_spaces_pair_then_aws_pair():
    env = {"SPACES_ACCESS_KEY_ID": "S", "SPACES_SECRET_ACCESS_KEY": "s", "AWS_ACCESS_KEY_ID": "A",
           "AWS_SECRET_ACCESS_KEY": "a"}
    assert _spaces.credentials_from({"spaces_access_key_id": "O", "spaces_secret_access_key": "o"}, env) == ("O", "o")
    assert _spaces.credentials_from({}, env) == ("S", "s")
    assert _spaces.credentials_from({}, {"SPACES_ACCESS_KEY_ID": "S", "AWS_ACCESS_KEY_ID": "A",
                                         "AWS_SECRET_ACCESS_KEY": "a"}) == ("A", "a")  # pairs are never mixed
    assert _spaces.credentials_from({}, {}) == (None, None)


def test_endpoint_addressing_and_checksum_settings():
    assert _spaces.endpoint_for("ams3") == "https://ams3.digitaloceanspaces.com"
    assert _spaces.endpoint_for("ams3", "http://127.0.0.1:9000/") == "http://127.0.0.1:9000"
    custom = _spaces.botocore_config(custom_endpoint=True)
    assert custom.s3["addressing_style"] == "path"
    assert _spaces.botocore_config(custom_endpoint=False).s3["addressing_style"] == "virtual"
    assert custom.request_checksum_calculation == "when_required"
    assert custom.response_checksum_validation == "when_required"
    assert custom.retries["mode"] == "standard"


def test_write_in_check_mode_is_planned_not_sent():
    client = _spaces.SpacesClient(region="ams3", access_key_id="A", secret_access_key="s", check_mode=True)
    assert client.write("put_bucket_cors", Bucket="b", CORSConfiguration=GUIDE_CORS) is None
    client.write("create_bucket", Bucket="b")
    client.write("put_object", Bucket="b", Key="dir/a b.txt", Body=b"x")
    assert client.writes == ["PUT /b?cors", "PUT /b", "PUT /b/dir/a%20b.txt"]
    assert client.requests == []


def test_request_paths_for_both_addressing_styles():
    assert _spaces._request_path("https://b.ams3.digitaloceanspaces.com/k?uploadId=1&partNumber=2", "b") == \
        "/b/k?partNumber&uploadId"
    assert _spaces._request_path("http://127.0.0.1:1/b?cors", "b") == "/b?cors"


def test_s3_modules_need_neither_pydo_nor_a_token(tmp_path):
    """spaces_object runs (presign: no request) with no DigitalOcean token, and never imports pydo."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    import ansible_collections
    collections_dir = os.path.dirname(list(ansible_collections.__path__)[0])
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "bucket": "b", "mode": "presign", "object": "k", "region": "ams3",
        "spaces_access_key_id": "AKEXAMPLE", "spaces_secret_access_key": "secret-example-value"}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGITALOCEAN", "DO_", "SPACES", "AWS"))}
    env["PYTHONPATH"] = os.pathsep.join([collections_dir, repo])
    code = ("import runpy, sys; sys.argv = ['m', {0!r}]\n"
            "try:\n    runpy.run_module('ansible_collections.appplatform.n8n.plugins.modules.spaces_object', "
            "run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('PYDO_LOADED=%s' % ('pydo' in sys.modules))").format(str(args))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result.get("failed"), result
    assert result["object"]["url"].startswith("https://ams3.digitaloceanspaces.com/b/k?")
    assert "PYDO_LOADED=False" in proc.stderr
