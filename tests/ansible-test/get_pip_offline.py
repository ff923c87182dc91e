# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for ansible-test's get-pip bootstrap download: installs pip from CPython's bundled wheel.

ansible-test sanity bootstraps pip in each of its venvs from a URL this machine cannot reach; it first
looks for this file in ~/.ansible/test/cache/get_pip_24_2.py (the Makefile points HOME elsewhere).
"""
import ensurepip
import glob
import os
import runpy
import sys

bundled = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))[0]
sys.argv = ["pip", "install"] + [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.path.insert(0, bundled)
runpy.run_module("pip", run_name="__main__", alter_sys=True)
