# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: the collection on sys.path, the sandbox, and ways to run modules and playbooks."""

import json
import os
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
COLLECTIONS = os.path.join(REPO, "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "appplatform", "n8n")


def ensure_collection_link():
    """``collections/ansible_collections/appplatform/n8n`` → the repository (what ``make`` sets up)."""
    if not os.path.islink(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(os.path.relpath(REPO, os.path.dirname(LINK)), LINK)


ensure_collection_link()
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, REPO)


@pytest.fixture(scope="session")
def sandbox():
    from tests.sandbox.sandbox import Sandbox

    durations = {"database_create": 0.3, "database_resize": 0.3, "replica_create": 0.3, "deployment_phase": 0.1}
    box = Sandbox(durations=durations).start()
    yield box
    box.stop()


@pytest.fixture
def emulator(sandbox, request):
    """The sandbox's emulator with a clean log and no faults; fails the test on contract violations."""
    emu = sandbox.emulator
    emu.reset()
    yield emu
    violations = list(emu.violations)
    emu.reset()
    if violations and not request.node.get_closest_marker("contract_violation_expected"):
        pytest.fail("DigitalOcean contract violations:\n" + json.dumps(violations, indent=1))


class ModuleRunner:
    """Runs a module of the collection as Ansible does (a separate Python process, JSON args file)."""

    def __init__(self, env):
        self.env = env

    def __call__(self, name, args=None, check=False, diff=True, verbosity=0):
        module_args = dict(args or {})
        module_args.update({"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_verbosity": verbosity,
                            "_ansible_no_log": False})
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": module_args}, handle)
            path = handle.name
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "ansible_collections.appplatform.n8n.plugins.modules." + name, path],
                capture_output=True, text=True, env=self.env, timeout=600)
        finally:
            os.unlink(path)
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError("module {0} printed no JSON result:\n{1}\n{2}".format(name, proc.stdout,
                                                                                      proc.stderr))
        result["_stderr"] = proc.stderr
        result["_stdout"] = proc.stdout
        return result


def _env_for(sandbox):
    env = dict(os.environ)
    env.update(sandbox.env())
    env["PYTHONPATH"] = os.pathsep.join([COLLECTIONS, REPO, env.get("PYTHONPATH", "")])
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    return env


@pytest.fixture
def run_module(sandbox, emulator):
    return ModuleRunner(_env_for(sandbox))


@pytest.fixture
def playbook(sandbox, emulator, tmp_path):
    """Run a playbook (YAML text) against the sandbox; returns the CompletedProcess (output in .stdout)."""

    def run(text, *extra, check_rc=True):
        path = tmp_path / "play.yml"
        path.write_text(text)
        env = _env_for(sandbox)
        env["ANSIBLE_FORCE_COLOR"] = "0"
        env["ANSIBLE_NOCOLOR"] = "1"
        proc = subprocess.run(["ansible-playbook", str(path)] + list(extra),
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)
        if check_rc and proc.returncode != 0:
            raise AssertionError("ansible-playbook failed ({0}):\n{1}\n{2}".format(proc.returncode, proc.stdout[-6000:],
                                                                               proc.stderr[-3000:]))
        return proc

    return run
