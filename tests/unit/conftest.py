# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pytest setup for the appplatform.n8n unit tests.

Works both under ``ansible-test units`` (the collection already sits in an
``ansible_collections/appplatform/n8n`` tree) and under plain pytest from a clone
with any directory name: then a throw-away ``ansible_collections/appplatform/n8n``
symlink to the clone is put on ``sys.path``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _make_collection_importable():
    try:
        import ansible_collections.appplatform.n8n.plugins.plugin_utils._n8n_spec  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        pass
    root = tempfile.mkdtemp(prefix="n8n-collection-")
    atexit.register(shutil.rmtree, root, True)  # removes the symlink, never the clone
    namespace = Path(root, "ansible_collections", "appplatform")
    namespace.mkdir(parents=True)
    (namespace / "n8n").symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, root)
    for name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[name]


_make_collection_importable()


def _openapi_path():
    env_path = os.environ.get("DO_OPENAPI_SPEC")
    if env_path:
        return Path(env_path)
    return REPO_ROOT.parent / "shared" / "reference" / "do-openapi.json"


@pytest.fixture(scope="session")
def do_openapi():
    """DigitalOcean's OpenAPI document as an openapi-core object (skips when absent)."""
    path = _openapi_path()
    if not path.is_file():
        pytest.skip("DigitalOcean OpenAPI spec not found at %s; set DO_OPENAPI_SPEC to run the contract tests" % path)
    openapi_core = pytest.importorskip("openapi_core", reason="openapi-core is needed for the contract tests")
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    document["servers"] = list(document.get("servers", [])) + [{"url": "/"}]
    return openapi_core.OpenAPI.from_dict(document, config=openapi_core.Config(spec_validator_cls=None))
