#!/usr/bin/env python3
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How late the app module's wait notices ACTIVE, and how many polls it makes.

    python bench/app_wait_lag.py                          # phases of 0.5, 1, 2 and 4 s, 2 runs each
    python bench/app_wait_lag.py --phases 2 --runs 5

For each run the app module updates an app (a new image tag) and waits for the deployment. The lag is
the time between the moment the emulator's timeline makes the deployment ACTIVE and the end of the
poll that saw it (both from the emulator's clock, so module start-up does not count); the target is
under 2 s. Polls = GETs of that deployment.
"""

import argparse
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, REPO)

from conftest import ModuleRunner, _env_for  # noqa: E402  (the same runner the tests use)
from tests.sandbox.sandbox import Sandbox  # noqa: E402


def spec(tag):
    return {"name": "bench-wait", "region": "fra",
            "services": [{"name": "n8n", "http_port": 5678,
                          "image": {"registry_type": "GHCR", "registry": "ghcr.io", "repository": "n8n-io/n8n",
                                    "tag": tag},
                          "envs": [{"key": "N8N_ENCRYPTION_KEY", "value": "bench-not-a-secret", "type": "SECRET"}]}]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--phases", default="0.5,1,2,4", help="seconds per deployment phase (3 phases), comma list")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    box = Sandbox(postgres=False, redis=False, s3=False).start()
    emu = box.emulator
    worst = 0.0
    try:
        run = ModuleRunner(_env_for(box))
        run("app", {"spec": spec("0")})
        print("{0:>8} {1:>10} {2:>8} {3:>7}".format("phase_s", "deploy_s", "lag_s", "polls"))
        n = 0
        for phase in [float(p) for p in args.phases.split(",")]:
            emu.durations["deployment_phase"] = phase
            for _ in range(args.runs):
                n += 1
                mark = len(emu.log)
                result = run("app", {"spec": spec(str(n))})
                if result.get("failed") or not result.get("changed"):
                    raise SystemExit("unexpected result: {0}".format(result.get("msg")))
                dep_id = result["deployment"]["id"]
                dep = emu.store["app_deployments"][dep_id]
                active_at = dep["status"]["since"]
                polls = [e for e in emu.log[mark:] if e["method"] == "GET" and e["path"].endswith(dep_id)]
                seen = polls[-1]["time"] + polls[-1]["ms"] / 1000.0
                lag = seen - active_at
                worst = max(worst, lag)
                print("{0:>8.2f} {1:>10.2f} {2:>8.3f} {3:>7d}".format(phase, active_at - dep["created_ts"], lag,
                                                                      len(polls)))
        print("worst lag {0:.3f} s (target < 2 s): {1}".format(worst, "OK" if worst < 2 else "TOO SLOW"))
    finally:
        box.stop()


if __name__ == "__main__":
    main()
