# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one reconcile/diff helper.

Private to the appplatform.n8n collection: it may change at any time.

* :func:`desired_from_params` keeps only the options the user set (``None`` = leave alone).
* :func:`changed_fields` compares normalized desired state with current state.
* :func:`redact` replaces secret values in anything that goes to output (diff, results).
* :class:`Diff` collects ``before``/``after`` for Ansible's diff mode, redacted.
"""

from __future__ import annotations

import copy

REDACTED = "**REDACTED**"

# Keys whose values never reach output, at any depth.
SECRET_KEYS = frozenset([
    "password", "secret_key", "secret", "token", "api_key", "private_key", "uri", "private_uri",
    "registry_credentials", "access_cert", "access_key_secret",
])


def desired_from_params(params, keys, rename=None):
    """The subset of ``params`` the user set, as API field names (``rename`` maps option → field)."""
    rename = rename or {}
    return {rename.get(k, k): params[k] for k in keys if params.get(k) is not None}


def _normalize(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


def changed_fields(desired, current, normalize=None):
    """Fields of ``desired`` whose value differs from ``current`` (after normalization)."""
    normalize = normalize or _normalize
    current = current or {}
    return {k: v for k, v in desired.items() if normalize(v) != normalize(current.get(k))}


def redact(value, secret_keys=SECRET_KEYS, extra_values=()):
    """A deep copy of ``value`` with secret fields (and any of ``extra_values``) replaced."""
    secrets = [v for v in extra_values if v]

    def walk(item, key=None):
        if key is not None and key.lower() in secret_keys and item not in (None, "", [], {}):
            return REDACTED
        if isinstance(item, dict):
            return {k: walk(v, k) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        if isinstance(item, str) and secrets:
            for secret in secrets:
                item = item.replace(secret, REDACTED)
        return item

    return walk(copy.deepcopy(value))


class Diff:
    """Before/after for diff mode; redacted when read."""

    def __init__(self, before=None, after=None, secret_keys=SECRET_KEYS):
        self.before = before if before is not None else {}
        self.after = after if after is not None else {}
        self.secret_keys = secret_keys

    def as_result(self):
        return dict(before=redact(self.before, self.secret_keys), after=redact(self.after, self.secret_keys))
