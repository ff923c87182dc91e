#!/usr/bin/env python3
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API requests and wall time of a tier playbook: first run, idempotent re-run, check-mode run.

    python bench/playbook_requests.py                    # production.yml
    python bench/playbook_requests.py --playbook queue --phase 0.5

Prints, per run, the wall time of ansible-playbook, the recap's changed count and the emulator's
requests by method (writes the emulator applied are starred).
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, REPO)

from conftest import _env_for  # noqa: E402  (the environment the tests give ansible)
from tests.sandbox.sandbox import Sandbox  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--playbook", default="production", choices=["simple", "queue", "production"])
    parser.add_argument("--phase", type=float, default=0.2, help="seconds per deployment phase in the emulator")
    parser.add_argument("--database", type=float, default=0.5, help="seconds until a new cluster is online")
    args = parser.parse_args()
    box = Sandbox(durations={"deployment_phase": args.phase, "database_create": args.database}).start()
    secrets = os.path.join(tempfile.mkdtemp(prefix="bench-"), "bench.secrets.yml")
    try:
        env = _env_for(box)
        print("{0:<10} {1:>8} {2:>8}  {3}".format("run", "wall s", "changed", "requests by method (* = applied writes)"))
        for label, extra in (("first", []), ("re-run", []), ("check", ["--check"])):
            mark = len(box.emulator.log)
            started = time.monotonic()
            proc = subprocess.run(["ansible-playbook", os.path.join(REPO, "playbooks", args.playbook + ".yml"),
                                   "-e", "n8n_app_name=bench-n8n", "-e", "n8n_deploy_secrets_file=" + secrets] + extra,
                                  capture_output=True, text=True, env=env, cwd=REPO)
            wall = time.monotonic() - started
            entries = box.emulator.log[mark:]
            counts = collections.Counter(e["method"] + ("*" if e["write"] and e["applied"] else "") for e in entries)
            recap = re.search(r"changed=(\d+).*failed=(\d+)", proc.stdout)
            print("{0:<10} {1:>8.1f} {2:>8}  {3} (total {4}, writes {5}){6}".format(
                label, wall, recap.group(1) if recap else "?", dict(sorted(counts.items())), len(entries),
                sum(1 for e in entries if e["write"] and e["applied"]),
                "" if proc.returncode == 0 else "  FAILED rc=%d" % proc.returncode))
    finally:
        box.stop()


if __name__ == "__main__":
    main()
