# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run small plays against localhost with this clone installed as appplatform.n8n (no sandbox)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def ansible_playbook():
    candidate = Path(sys.executable).with_name("ansible-playbook")
    return str(candidate) if candidate.exists() else shutil.which("ansible-playbook")


needs_ansible_playbook = pytest.mark.skipif(ansible_playbook() is None, reason="ansible-playbook is not installed")


def run_playbook(tmp_path, plays, *extra_args, env=None):
    """Returns (returncode, stdout + stderr)."""
    collections = tmp_path / "collections" / "ansible_collections" / "appplatform"
    if not collections.exists():
        collections.mkdir(parents=True)
        (collections / "n8n").symlink_to(REPO_ROOT, target_is_directory=True)
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(plays), encoding="utf-8")
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    run_env.update(env or {})
    cmd = [ansible_playbook(), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=" + sys.executable] + list(extra_args) + [str(playbook)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr
