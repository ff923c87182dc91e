# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m tests.sandbox start|stop|status|run [--state DIR]``.

``--real-n8n``: deployments of n8n app specs start the real n8n processes (see
``tests/sandbox/n8n/deployments.py``; needs the cache ``make n8n`` fills).

``start`` runs the sandbox in the background and returns once it is up; its settings are in
``<state>/sandbox.env`` (``source`` it). ``stop`` ends it. ``run`` keeps it in the foreground.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

DEFAULT_STATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".cache", "sandbox")


def _info(state):
    try:
        with open(os.path.join(state, "sandbox.json")) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def run(state, durations, real_n8n=False):
    from .emulator.core import env_durations
    from .sandbox import Sandbox

    sandbox = Sandbox(state_dir=state, durations=dict(env_durations(), **durations), real_n8n=real_n8n).start()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    print("sandbox up: API {0}, settings in {1}".format(sandbox.api_url, os.path.join(state, "sandbox.env")),
          flush=True)
    while not stopping:
        time.sleep(0.2)
    sandbox.stop()
    try:
        os.unlink(os.path.join(state, "sandbox.json"))
    except OSError:
        pass


def start(state, durations, real_n8n=False):
    info = _info(state)
    if info and _alive(info["pid"]):
        print("sandbox already running (pid {0}); settings in {1}/sandbox.env".format(info["pid"], state))
        return 0
    if info:
        os.unlink(os.path.join(state, "sandbox.json"))
    os.makedirs(state, exist_ok=True)
    log = open(os.path.join(state, "sandbox.log"), "ab")
    argv = [sys.executable, "-m", "tests.sandbox", "run", "--state", state]
    if durations:
        argv += ["--durations", json.dumps(durations)]
    if real_n8n:
        argv.append("--real-n8n")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            cwd=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = _info(state)
        if info and info["pid"] == proc.pid:
            print("sandbox up (pid {0}): source {1}/sandbox.env".format(proc.pid, state))
            return 0
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    print(open(os.path.join(state, "sandbox.log")).read()[-3000:], file=sys.stderr)
    print("sandbox failed to start", file=sys.stderr)
    return 1


def stop(state):
    info = _info(state)
    if not info or not _alive(info["pid"]):
        print("sandbox not running")
        return 0
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(info["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    print("sandbox stopped")
    return 0


def log_summary(state, since):
    """Requests and writes the emulator logged since entry ``since`` (for the demo's report)."""
    import ssl
    import urllib.request

    info = _info(state)
    if not info:
        print("sandbox not running")
        return 1
    env = info["env"]
    context = ssl.create_default_context(cafile=env["DIGITALOCEAN_CA_BUNDLE"])
    with urllib.request.urlopen(env["SANDBOX_ADMIN_URL"] + "/log?since=%d" % since, context=context) as answer:
        log = json.load(answer)["log"]
    writes = [e for e in log if e["write"] and e["applied"]]
    print("emulator: %d requests, %d writes%s" % (len(log), len(writes), "".join(
        "\n  %s %s %s" % (e["method"], e["path"], e["status"]) for e in writes)))
    print("log size: %d" % (since + len(log)))
    return 0


def main():
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox")
    parser.add_argument("command", choices=["start", "stop", "status", "run", "log"])
    parser.add_argument("--since", type=int, default=0, help="log: entries from this index on")
    parser.add_argument("--state", default=os.environ.get("SANDBOX_STATE_DIR", DEFAULT_STATE))
    parser.add_argument("--durations", default="{}", help="JSON, e.g. '{\"deployment_phase\": 2}'")
    parser.add_argument("--real-n8n", action="store_true",
                        help="deployments of n8n app specs run the real n8n processes (needs `make n8n`)")
    args = parser.parse_args()
    state = os.path.abspath(args.state)
    durations = json.loads(args.durations)
    if args.command == "run":
        run(state, durations, args.real_n8n)
        return 0
    if args.command == "start":
        return start(state, durations, args.real_n8n)
    if args.command == "stop":
        return stop(state)
    if args.command == "log":
        return log_summary(state, args.since)
    info = _info(state)
    print("running (pid {0})".format(info["pid"]) if info and _alive(info["pid"]) else "not running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
