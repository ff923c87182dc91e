# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract: every rendered spec is a valid POST /v2/apps body for DigitalOcean's OpenAPI document."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec as m
from ansible_collections.appplatform.n8n.tests.unit.n8n_helpers import OWNER_HASH, render

openapi_testing = pytest.importorskip("openapi_core.testing", reason="openapi-core is needed for the contract tests")


def _validate_create(api, spec):
    request = openapi_testing.MockRequest(
        "https://api.digitalocean.com", "post", "/v2/apps",
        headers={"Authorization": "Bearer contract-test", "Content-Type": "application/json"},
        data=json.dumps({"spec": spec}).encode(), content_type="application/json",
    )
    api.validate_request(request)


VARIANTS = {
    "defaults": {},
    "everything": {
        "region": "ams", "domain": "n8n.example.com", "domain_zone": "example.com", "metrics_enabled": True,
        "owner_email": "owner@example.com", "owner_password_hash": OWNER_HASH, "alerts_enabled": True,
        "community_packages": [{"name": "n8n-nodes-foo", "version": "1.0.0"}], "log_format": "json",
        "binary_data_mode": "s3", "s3_licensed": True, "s3_host": "ams3.digitaloceanspaces.com",
        "s3_bucket": "n8n-data", "s3_region": "ams3", "s3_access_key": "AK", "s3_secret_key": "SK",
        "extra_env": {"N8N_TEMPLATES_ENABLED": "false"}, "db_name": "n8n", "db_user": "n8n",
        "valkey_tls_validate_certificate": False,
    },
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("tier", m.TIERS)
def test_rendered_spec_is_a_valid_create_app_request(do_openapi, tier, variant):
    _validate_create(do_openapi, render(tier, worker_count=3, **VARIANTS[variant]))


@pytest.mark.parametrize("workers", [1, 8])
def test_production_spec_with_many_pairs_is_valid(do_openapi, workers):
    _validate_create(do_openapi, render("production", worker_count=workers, db_size="db-s-2vcpu-4gb"))


@pytest.mark.parametrize("breakage", ["env_scope", "instance_size", "engine", "name"])
def test_the_contract_check_catches_a_broken_spec(do_openapi, breakage):
    spec = copy.deepcopy(render("production", worker_count=2))
    if breakage == "env_scope":
        spec["services"][0]["envs"][0]["scope"] = "RUNTIME"
    elif breakage == "instance_size":
        spec["services"][0]["instance_size_slug"] = "apps-s-9vcpu-1tb"
    elif breakage == "engine":
        spec["databases"][1]["engine"] = "valkey"
    else:
        spec["name"] = "Not_A_Valid_Name"
    with pytest.raises(Exception) as excinfo:  # openapi-core raises its own validation error types
        _validate_create(do_openapi, spec)
    assert "Invalid" in type(excinfo.value).__name__ or "invalid" in str(excinfo.value).lower()
