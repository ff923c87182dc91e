# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app spec comparison and the secrets fingerprint (module_utils/_apps.py)."""

from __future__ import annotations

from ansible_collections.appplatform.n8n.plugins.module_utils import _apps

SALT = b"0123456789abcdef"


def spec(key="k" * 32, **extra):
    out = {"name": "n8n", "services": [{"name": "n8n", "image": {"registry_type": "GHCR", "registry": "ghcr.io",
                                                                 "repository": "n8n-io/n8n", "tag": "1.0.0"},
                                        "envs": [{"key": "N8N_ENCRYPTION_KEY", "value": key, "type": "SECRET"}]}]}
    out.update(extra)
    return out


def test_fingerprint_depends_on_value_salt_and_key_not_on_how_many_components_share_it():
    base = _apps.fingerprint(spec(), SALT)
    assert base.startswith("v2:scrypt:32768:8:1:") and "k" * 32 not in base
    assert ":N8N_ENCRYPTION_KEY=" in base
    assert _apps.fingerprint(spec(), SALT) == base
    assert _apps.fingerprint(spec(key="other"), SALT) != base
    assert _apps.fingerprint(spec(), b"f" * 16) != base
    shared = spec()
    shared["workers"] = [dict(shared["services"][0], name="worker")]
    assert _apps.fingerprint(shared, SALT) == base
    keyed = _apps.fingerprint(spec(), SALT, key="vault-key")
    assert keyed.startswith("v2:hmac-sha256:") and keyed != _apps.fingerprint(spec(), SALT, key="other-key")


def with_token(s, token):
    s["services"][0]["envs"].append({"key": "N8N_RUNNERS_AUTH_TOKEN", "value": token, "type": "SECRET"})
    return s


def test_changed_secret_names_lists_changed_values_only_not_added_or_removed_ones():
    held = _apps.with_fingerprint(spec(), None)
    assert _apps.changed_secret_names(_apps.with_fingerprint(with_token(spec(), "t" * 32), held), held) == []
    assert _apps.changed_secret_names(_apps.with_fingerprint(spec(key="new" * 11), held), held) == ["N8N_ENCRYPTION_KEY"]
    both = _apps.with_fingerprint(with_token(spec(), "t" * 32), None)
    assert _apps.changed_secret_names(_apps.with_fingerprint(spec(), both), both) == []
    assert _apps.changed_secret_names(_apps.with_fingerprint(with_token(spec(), "u" * 32), both), both) == [
        "N8N_RUNNERS_AUTH_TOKEN"]
    assert _apps.changed_secret_names(_apps.with_fingerprint(spec(), None), None) == []


def test_fingerprint_keeps_the_stored_salt():
    stored = _apps.with_fingerprint(spec(), None)
    again = _apps.with_fingerprint(spec(), stored)
    assert stored["envs"] == again["envs"]
    assert stored["envs"][0] == {"key": _apps.FINGERPRINT_KEY, "value": stored["envs"][0]["value"],
                                 "scope": "BUILD_TIME", "type": "GENERAL"}
    assert _apps.with_fingerprint(spec(key="new"), stored)["envs"] != stored["envs"]


def test_no_secret_no_fingerprint_and_ev_values_keep_it():
    plain = spec()
    plain["services"][0]["envs"] = [{"key": "A", "value": "b"}]
    assert "envs" not in _apps.with_fingerprint(plain, None)
    stored = _apps.with_fingerprint(spec(), None)
    held = _apps.apply_defaults(stored)
    held["services"][0]["envs"][0]["value"] = "EV[1:abc:def]"
    echoed = spec(key="EV[1:abc:def]")
    assert _apps.with_fingerprint(echoed, held)["envs"] == stored["envs"]
    # a different EV than the one held is a change: the stale fingerprint is dropped
    assert "envs" not in _apps.with_fingerprint(spec(key="EV[1:zzz:def]"), held)


def test_canonical_ignores_server_defaults_and_zero_values():
    mine = spec(disable_edge_cache=False)
    server = _apps.apply_defaults(spec())
    server["services"][0]["envs"][0]["value"] = "EV[1:aa:bb]"
    server["region"] = "nyc"
    tokens = _apps.current_tokens(server)
    assert _apps.canonical(mine, _apps.desired_tokens(mine, server), server) == _apps.canonical(server, tokens)
    assert server["services"][0]["instance_count"] == 1 and server["services"][0]["http_port"] == 8080
    assert server["ingress"]["rules"][0]["component"]["name"] == "n8n"
    changed = spec(region="fra")
    assert _apps.canonical(changed, _apps.desired_tokens(changed, server), server) != _apps.canonical(server, tokens)


def test_redact_spec_hides_secret_values():
    shown = _apps.redact_spec(spec())
    assert shown["services"][0]["envs"][0]["value"] == "**REDACTED**"


def test_failed_step_is_the_deepest_error():
    steps = [{"name": "build", "status": "SUCCESS"},
             {"name": "deploy", "status": "ERROR", "steps": [
                 {"name": "initialize", "status": "SUCCESS"},
                 {"name": "components", "status": "ERROR", "steps": [
                     {"name": "n8n", "status": "ERROR", "component_name": "n8n"}]}]}]
    top, path, step = _apps._failed_step(steps)
    assert top == "deploy" and path == ("deploy", "components", "n8n") and step["component_name"] == "n8n"
