# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""secrets_file: generated once, kept, 0600, rotated only when asked."""

import json
import os
import stat
import subprocess
import sys

import yaml

MODULE = "ansible_collections.appplatform.n8n.plugins.modules.secrets_file"


def run(tmp_path, check=False, **args):
    path = tmp_path / "args.json"
    args.update({"_ansible_check_mode": check, "_ansible_diff": True})
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, "-m", MODULE, str(path)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_generated_once_with_mode_0600_and_kept_on_rerun(tmp_path):
    target = tmp_path / "keys" / "app.secrets.yml"
    first = run(tmp_path, path=str(target), names=["N8N_ENCRYPTION_KEY", "N8N_RUNNERS_AUTH_TOKEN"])
    assert first["changed"] is True and first["existed"] is False
    key = first["secrets"]["N8N_ENCRYPTION_KEY"]
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != first["secrets"]["N8N_RUNNERS_AUTH_TOKEN"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700
    second = run(tmp_path, path=str(target), names=["N8N_ENCRYPTION_KEY", "N8N_RUNNERS_AUTH_TOKEN"])
    assert second["changed"] is False and second["secrets"]["N8N_ENCRYPTION_KEY"] == key
    assert key not in json.dumps(second["diff"])


def test_check_mode_writes_nothing(tmp_path):
    target = tmp_path / "s.yml"
    result = run(tmp_path, check=True, path=str(target), names=["N8N_ENCRYPTION_KEY"])
    assert result["changed"] is True and not target.exists()


def test_rotation_only_when_asked_and_other_values_kept(tmp_path):
    target = tmp_path / "s.yml"
    first = run(tmp_path, path=str(target), names=["A", "B"])["secrets"]
    rotated = run(tmp_path, path=str(target), names=["A", "B"], rotate=["B"])
    assert rotated["changed"] is True and rotated["generated"] == ["B"]
    assert rotated["secrets"]["A"] == first["A"] and rotated["secrets"]["B"] != first["B"]
    assert yaml.safe_load(target.read_text())["B"] == rotated["secrets"]["B"]


def test_rotate_of_an_unknown_name_fails(tmp_path):
    result = run(tmp_path, path=str(tmp_path / "s.yml"), names=["A"], rotate=["C"])
    assert result["failed"] and "C" in result["msg"]


def test_given_values_are_stored_once_and_replaced_only_on_rotation(tmp_path):
    target = tmp_path / "s.yml"
    first = run(tmp_path, path=str(target), names=["K"], values={"K": "given-1"})
    assert first["changed"] and "given-1" not in json.dumps(first)  # a no_log input stays masked in the result
    assert yaml.safe_load(target.read_text())["K"] == "given-1"
    kept = run(tmp_path, path=str(target), names=["K"], values={"K": "given-2"})
    assert kept["changed"] is False and yaml.safe_load(target.read_text())["K"] == "given-1"
    run(tmp_path, path=str(target), names=["K"], values={"K": "given-2"}, rotate=["K"])
    assert yaml.safe_load(target.read_text())["K"] == "given-2"
