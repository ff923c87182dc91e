# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The n8n_spec role: its interface covers every renderer setting, and it renders without leaking secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec as m
from ansible_collections.appplatform.n8n.tests.unit.playbook_helpers import needs_ansible_playbook, run_playbook

ROLE = Path(__file__).resolve().parents[3] / "roles" / "n8n_spec"


def _load(relative):
    return yaml.safe_load((ROLE / relative).read_text(encoding="utf-8"))


def test_argument_specs_document_every_setting_and_the_tier():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(options) == {"n8n_spec_tier"} | {"n8n_spec_" + k for k in m.DEFAULTS}
    for name, option in options.items():
        assert option.get("type"), name
        assert option.get("description"), name
    for secret in ("encryption_key", "runners_auth_token", "owner_password_hash", "s3_secret_key"):
        assert options["n8n_spec_" + secret]["no_log"] is True
    assert options["n8n_spec_tier"]["choices"] == list(m.TIERS)


def test_defaults_match_the_renderer_and_the_argument_specs():
    defaults = _load("defaults/main.yml")
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    required = {n for n, o in options.items() if o.get("required")}
    assert required == {"n8n_spec_tier", "n8n_spec_app_name", "n8n_spec_encryption_key"}
    assert set(defaults) == set(options) - required
    for name, value in defaults.items():
        assert value == m.DEFAULTS[name[len("n8n_spec_"):]], name
        assert options[name]["default"] == value, name


def test_role_hands_every_setting_to_the_filters():
    settings = _load("vars/main.yml")["__n8n_spec_settings"]
    assert settings == {k: "{{ n8n_spec_%s }}" % k for k in m.DEFAULTS}


@needs_ansible_playbook
def test_role_renders_production_without_printing_secrets(tmp_path):
    out_file = tmp_path / "spec.json"
    returncode, output = run_playbook(tmp_path, [{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"n8n_spec_tier": "production", "n8n_spec_app_name": "n8n-role",
                 "n8n_spec_encryption_key": "ROLE-KEY-SENTINEL-1", "n8n_spec_runners_auth_token": "ROLE-TOKEN-SENTINEL-2",
                 "n8n_spec_worker_count": 2},
        "roles": ["appplatform.n8n.n8n_spec"],
        "post_tasks": [{"name": "Save the spec", "ansible.builtin.copy": {
            "content": "{{ n8n_app_spec | to_json }}", "dest": str(out_file), "mode": "0600"}, "no_log": True}],
    }], "-vvv")
    assert returncode == 0, output[-3000:]
    assert "ROLE-KEY-SENTINEL-1" not in output
    assert "ROLE-TOKEN-SENTINEL-2" not in output
    spec = json.loads(out_file.read_text(encoding="utf-8"))
    assert [s["name"] for s in spec["services"]] == ["n8n-main", "n8n-worker-1", "n8n-worker-2"]
    assert spec == m.render_app_spec("production", {
        "app_name": "n8n-role", "encryption_key": "ROLE-KEY-SENTINEL-1",
        "runners_auth_token": "ROLE-TOKEN-SENTINEL-2", "worker_count": 2})


@needs_ansible_playbook
def test_role_refusal_is_visible_despite_no_log(tmp_path):
    returncode, output = run_playbook(tmp_path, [{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"n8n_spec_tier": "queue", "n8n_spec_app_name": "n8n-role", "n8n_spec_encryption_key": "k",
                 "n8n_spec_runners_auth_token": "t", "n8n_spec_extra_env": {"N8N_BASIC_AUTH_ACTIVE": "true"}},
        "roles": ["appplatform.n8n.n8n_spec"],
    }])
    assert returncode != 0
    assert "N8N_INSTANCE_OWNER_" in output


@needs_ansible_playbook
def test_role_reads_booleans_given_as_extra_var_strings(tmp_path):
    returncode, output = run_playbook(tmp_path, [{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"n8n_spec_tier": "production", "n8n_spec_app_name": "n8n-role", "n8n_spec_encryption_key": "k",
                 "n8n_spec_runners_auth_token": "t"},
        "roles": ["appplatform.n8n.n8n_spec"],
        "tasks": [{"ansible.builtin.assert": {"that": ["n8n_app_spec.alerts is not defined",
                                                        "n8n_app_plan.alert_emails == []"]}}],
    }], "-e", "n8n_spec_alerts_enabled=false")
    assert returncode == 0, output
