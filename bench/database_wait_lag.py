#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How late database_cluster (wait: true) returns after the emulator marks the cluster online.

Starts its own sandbox with ``database_create`` = DURATION seconds, creates RUNS clusters with the module
and prints, per run, the lag between the moment the emulator's cluster became ``online`` (creation
time + DURATION) and the moment the module process returned, then min/median/max.

    .venv/bin/python bench/database_wait_lag.py [RUNS] [DURATION]
"""

import os
import statistics
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, REPO)

from tests.conftest import ModuleRunner, _env_for  # noqa: E402  (sets up the collection path)
from tests.sandbox.sandbox import Sandbox  # noqa: E402


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    duration = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    box = Sandbox(durations={"database_create": duration}, redis=False, s3=False).start()
    try:
        run = ModuleRunner(_env_for(box))
        lags = []
        for i in range(runs):
            name = "bench-wait-{0}".format(i)
            started = time.time()
            result = run("database_cluster", {"name": name, "engine": "pg", "region": "fra1",
                                              "size": "db-s-1vcpu-1gb"})
            returned = time.time()
            if result.get("failed"):
                raise SystemExit("module failed: {0}".format(result.get("msg")))
            cluster = [c for c in box.emulator.store["databases"].values() if c["name"] == name][0]
            online_at = cluster["_created_ts"] + duration
            lag = returned - online_at
            lags.append(lag)
            print("run {0}: total {1:.2f} s, module waited {2:.2f} s, lag after online {3:.3f} s".format(
                i + 1, returned - started, result["waited"], lag))
        print("database_create={0:.1f} s, {1} runs: lag min {2:.3f} s, median {3:.3f} s, max {4:.3f} s "
              "(goal: < 2 s)".format(duration, runs, min(lags), statistics.median(lags), max(lags)))
    finally:
        box.stop()


if __name__ == "__main__":
    main()
