#!/usr/bin/env python3
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API requests by method and wall time of module runs against the sandbox.

    python bench/module_requests.py                       # vpc: create, re-run, check mode
    python bench/module_requests.py --module vpc --args '{"name": "x", "region": "fra1"}' --runs 3
    python bench/module_requests.py --faults '[{"status": 503, "probability": 0.3}]'

Each run prints the wall time of the module process and the emulator's count of requests per
method (writes marked), so an idempotent re-run shows up as GET only.
"""

import argparse
import collections
import json
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, REPO)

from conftest import ModuleRunner, _env_for  # noqa: E402  (the same runner the tests use)
from tests.sandbox.sandbox import Sandbox  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", default="vpc")
    parser.add_argument("--args", default='{"name": "bench-vpc", "region": "fra1", "description": "bench"}')
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--check", action="store_true", help="also one run in check mode at the end")
    parser.add_argument("--faults", default="[]", help="emulator fault rules (JSON)")
    args = parser.parse_args()
    box = Sandbox(postgres=False, redis=False, s3=False).start()
    try:
        run = ModuleRunner(_env_for(box))
        box.emulator.faults.set(json.loads(args.faults), seed=1)
        plan = [False] * args.runs + ([True] if args.check else [True])
        print("{0:<6} {1:<6} {2:>8} {3:>9}  {4}".format("run", "mode", "changed", "wall s", "requests by method"))
        for index, check in enumerate(plan, 1):
            mark = len(box.emulator.log)
            started = time.monotonic()
            result = run(args.module, json.loads(args.args), check=check)
            wall = time.monotonic() - started
            entries = box.emulator.log[mark:]
            counts = collections.Counter(e["method"] + ("*" if e["write"] and e["applied"] else "") for e in entries)
            print("{0:<6} {1:<6} {2:>8} {3:>9.2f}  {4}  (total {5}, writes {6}, faults {7}){8}".format(
                index, "check" if check else "apply", str(result.get("changed")), wall,
                dict(sorted(counts.items())), len(entries), sum(1 for e in entries if e["write"] and e["applied"]),
                sum(1 for e in entries if e["fault"]), "  FAILED: " + result["msg"] if result.get("failed") else ""))
        print("* = write request applied by the emulator")
    finally:
        box.stop()


if __name__ == "__main__":
    main()
