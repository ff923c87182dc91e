# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter plugins expose the renderer and turn its refusals into AnsibleFilterError."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.appplatform.n8n.plugins.filter import n8n_app_plan, n8n_app_spec, n8n_db_pool_size
from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec as m
from ansible_collections.appplatform.n8n.tests.unit.n8n_helpers import base_settings


def test_filter_modules_register_their_names():
    assert n8n_app_spec.FilterModule().filters()["n8n_app_spec"] is n8n_app_spec.n8n_app_spec
    assert n8n_app_plan.FilterModule().filters()["n8n_app_plan"] is n8n_app_plan.n8n_app_plan
    assert n8n_db_pool_size.FilterModule().filters()["n8n_db_pool_size"] is n8n_db_pool_size.n8n_db_pool_size


@pytest.mark.parametrize("tier", m.TIERS)
def test_app_spec_filter_returns_the_rendered_spec(tier):
    assert n8n_app_spec.n8n_app_spec(base_settings(), tier) == m.render_app_spec(tier, base_settings())


def test_app_spec_filter_reports_refusals_as_filter_errors():
    with pytest.raises(AnsibleFilterError, match="never 'latest'"):
        n8n_app_spec.n8n_app_spec(base_settings(n8n_version="latest"), "simple")
    with pytest.raises(AnsibleFilterError, match="must be a dictionary"):
        n8n_app_spec.n8n_app_spec("simple", "simple")


def test_app_plan_filter():
    assert n8n_app_plan.n8n_app_plan(base_settings(), "production")["postgres"]["num_nodes"] == 2
    with pytest.raises(AnsibleFilterError, match="N8N_WEBHOOK_URL"):
        n8n_app_plan.n8n_app_plan(base_settings(extra_env={"WEBHOOK_URL": "x"}), "queue")


def test_pool_size_filter():
    assert n8n_db_pool_size.n8n_db_pool_size("db-s-1vcpu-2gb", 5) == 9
    assert n8n_db_pool_size.n8n_db_pool_size("db-s-4vcpu-8gb", "3", "40") == 40
    with pytest.raises(AnsibleFilterError, match="allows 22 connections"):
        n8n_db_pool_size.n8n_db_pool_size("db-s-1vcpu-1gb", 30)
    with pytest.raises(AnsibleFilterError, match="cannot read the RAM"):
        n8n_db_pool_size.n8n_db_pool_size("large", 1)
