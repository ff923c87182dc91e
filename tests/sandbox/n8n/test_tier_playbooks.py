# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The queue playbook end to end on real n8n: deploy, then the operator's re-run with an n8n API key runs the
post-deployment check (a temporary webhook workflow, run on a worker, then removed); teardown after."""

import os
import re
import subprocess

import pytest

from conftest import _env_for  # the environment the tests give ansible

pytestmark = pytest.mark.real_n8n

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
APP = "sbx-playbook"


def playbook(sandbox, name, *extra):
    env = _env_for(sandbox)
    env["ANSIBLE_NOCOLOR"] = "1"
    proc = subprocess.run(["ansible-playbook", os.path.join(REPO, "playbooks", name + ".yml"),
                           "-e", "n8n_app_name=" + APP] + list(extra),
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    return proc.stdout


def changed(output):
    return int(re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", output).group(1))


def test_queue_playbook_deploys_real_n8n_and_the_verify_role_runs_a_workflow(sandbox, tmp_path):
    secrets = "n8n_deploy_secrets_file=" + str(tmp_path / "secrets.yml")
    try:
        first = playbook(sandbox, "queue", "-e", secrets)
        assert "Post-deployment check skipped: no n8n API key" in first
        key_file = os.path.join(sandbox.state_dir, "n8n-api-keys", APP + ".key")
        with open(key_file) as handle:
            api_key = handle.read().strip()
        mark = len(sandbox.emulator.log)
        second = playbook(sandbox, "queue", "-e", secrets, "-e", "n8n_api_key=" + api_key,
                          "-e", "n8n_ca_path=" + sandbox.ca.cert_path)
        assert re.search(r"ran the check workflow: execution \S+ succeeded", second), second[-4000:]
        assert changed(second) == 0
        assert [e for e in sandbox.emulator.log[mark:] if e["write"]] == []
        assert api_key not in second
    finally:
        playbook(sandbox, "teardown", "-e", "n8n_teardown_confirm=" + APP)
