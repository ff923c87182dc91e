# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the n8n spec tests (import after tests/unit/conftest.py ran)."""

from __future__ import annotations

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec

ENCRYPTION_KEY = "test-encryption-key-0123456789abcdef"
RUNNERS_TOKEN = "test-runners-token-0123456789abcdef"
OWNER_HASH = "$2b$10$" + "a" * 53


def base_settings(**overrides):
    """Minimal valid settings for every tier, plus overrides."""
    settings = {"app_name": "n8n-test", "encryption_key": ENCRYPTION_KEY, "runners_auth_token": RUNNERS_TOKEN}
    settings.update(overrides)
    return settings


def render(tier, **overrides):
    return _n8n_spec.render_app_spec(tier, base_settings(**overrides))


def envs(component):
    """The envs of a component as {key: entry}; fails on duplicate keys."""
    out = {}
    for entry in component.get("envs", []):
        assert entry["key"] not in out, "duplicate env %s on %s" % (entry["key"], component["name"])
        out[entry["key"]] = entry
    return out


def env_values(component):
    return {k: v["value"] for k, v in envs(component).items()}


def all_components(spec):
    return [c for _kind, c in _n8n_spec.components(spec)]


def n8n_components(spec):
    """Components that run the n8n image (main and workers), not the runners."""
    return [c for c in all_components(spec) if c["image"]["repository"] == _n8n_spec.N8N_IMAGE_REPOSITORY]


def runner_components(spec):
    return [c for c in all_components(spec) if c["image"]["repository"] == _n8n_spec.RUNNERS_IMAGE_REPOSITORY]


def component(spec, name):
    matches = [c for c in all_components(spec) if c["name"] == name]
    assert len(matches) == 1, "expected one component %s, found %d" % (name, len(matches))
    return matches[0]
