#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Peak memory and throughput of spaces_object uploading a large stream.

Starts moto's S3 server (the sandbox's Spaces stand-in) in this process, then runs the module as
Ansible does (its own Python process) with ``mode=put`` and ``src_command`` producing SIZE_MB of
random bytes, and prints the module process's peak RSS (``wait4`` rusage of that process alone)
and the upload throughput. For comparison it also runs ``mode=list`` (the memory the module needs
with no data). Goal: peak RSS under 150 MB for 200 MB.

    .venv/bin/python bench/spaces_upload_memory.py [SIZE_MB]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, REPO)

from tests.conftest import COLLECTIONS  # noqa: E402  (also creates the collections/ link)
from tests.sandbox.services import S3  # noqa: E402

MB = 1024 * 1024


def run_module(args, env):
    """Run spaces_object in a child process; return (result, wall seconds, peak RSS of that process in MB)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        path = handle.name
    start = time.monotonic()
    try:
        proc = subprocess.Popen([sys.executable, "-m",  # pylint: disable=consider-using-with
                                 "ansible_collections.appplatform.n8n.plugins.modules.spaces_object", path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        # wait4 gives this child's own rusage: ru_maxrss is the module process's peak RSS (KiB on Linux)
        stdout_data, stderr_data = proc.stdout.read(), proc.stderr.read()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    finally:
        os.unlink(path)
    wall = time.monotonic() - start
    proc_stdout, proc_stderr = stdout_data.decode(), stderr_data.decode()
    result = json.loads(proc_stdout.strip().splitlines()[-1])
    if result.get("failed"):
        raise SystemExit("module failed: {0}\n{1}".format(result.get("msg"), proc_stderr[-2000:]))
    return result, wall, usage.ru_maxrss / 1024.0


def main():
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    s3 = S3().start()
    try:
        import boto3

        env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS, REPO]), SPACES_ENDPOINT=s3.endpoint,
                   SPACES_ACCESS_KEY_ID="BENCH", SPACES_SECRET_ACCESS_KEY="bench-secret")
        client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id="BENCH",
                              aws_secret_access_key="bench-secret")
        client.create_bucket(Bucket="bench-bucket")
        base = {"bucket": "bench-bucket", "region": "us-east-1", "_ansible_check_mode": False, "_ansible_diff": False}
        _, _, idle_peak = run_module(dict(base, mode="list"), env)
        command = ["head", "-c", str(size_mb * MB), "/dev/urandom"]
        result, wall, peak = run_module(dict(base, mode="put", object="bench/stream.bin", src_command=command), env)
        stored = client.head_object(Bucket="bench-bucket", Key="bench/stream.bin")["ContentLength"]
        parts = sum("partNumber" in c for c in result["api_calls"])
        print("object size        : {0} MB ({1} bytes stored, {2} multipart parts)".format(size_mb, stored, parts))
        print("peak RSS, mode=list: {0:.1f} MB (module with no data)".format(idle_peak))
        print("peak RSS, mode=put : {0:.1f} MB (goal < 150 MB)".format(peak))
        print("wall time          : {0:.1f} s".format(wall))
        print("throughput         : {0:.1f} MB/s".format(size_mb / wall))
        if stored != size_mb * MB:
            raise SystemExit("stored size differs")
    finally:
        s3.stop()


if __name__ == "__main__":
    main()
