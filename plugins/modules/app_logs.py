#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app_logs
short_description: Read build, deploy or run logs of a DigitalOcean App Platform app
version_added: 0.1.0
description:
  - The API answers a log request with URLs of log files; this module fetches them (trusting the same CA bundle as
    the API calls) and returns the last O(lines) lines, optionally only those matching O(pattern).
  - Logs of one component or of all components, of the active deployment or of O(deployment_id).
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  app:
    description: Name of the app.
    type: str
  app_id:
    description: ID of the app (instead of O(app)).
    type: str
  component:
    description: Component name; all components when unset.
    type: str
  deployment_id:
    description: Deployment whose logs to read; the active deployment when unset.
    type: str
  type:
    description: Which logs.
    type: str
    choices: [BUILD, DEPLOY, RUN, RUN_RESTARTED]
    default: RUN
  lines:
    description: Return at most this many lines (the last ones, after filtering). 0 returns all.
    type: int
    default: 100
  pattern:
    description: Python regular expression; only lines matching it are returned (for example C(ERROR|Error)).
    type: str
  fail_on_match:
    description: Fail when at least one line matches O(pattern) (for a daily error-log check).
    type: bool
    default: false
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.info
"""

EXAMPLES = r"""
- name: Errors n8n logged
  appplatform.n8n.app_logs:
    app: n8n
    component: n8n
    pattern: "(?i)error"
    lines: 50
  register: errors

- name: Build logs of a failed deployment
  appplatform.n8n.app_logs:
    app: n8n
    deployment_id: "{{ failed_deployment_id }}"
    type: BUILD
"""

RETURN = r"""
lines:
  description: The log lines (oldest first).
  returned: always
  type: list
  elements: str
  sample: ["2026-01-01T00:00:00Z n8n Editor is now accessible via: https://n8n.example.com"]
matched:
  description: Number of lines that matched O(pattern) (all lines when there is no pattern), before O(lines) cut them.
  returned: always
  type: int
  sample: 3
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._apps import fetch_log_lines, filter_lines, find_app
from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule


def reconcile(m):
    app = find_app(m.client, name=m.params["app"], app_id=m.params["app_id"])
    if app is None:
        m.fail("No app {0}.".format(m.params["app"] or m.params["app_id"]))
    try:
        lines = fetch_log_lines(m.client, app["id"], m.params["deployment_id"], m.params["component"],
                                m.params["type"], ca_bundle=m.params["ca_bundle"], timeout=m.params["api_timeout"])
    except (IOError, ValueError) as exc:
        m.fail("Could not read the logs of app {0}: {1}".format(app["spec"]["name"], exc))
    matched = filter_lines(lines, m.params["pattern"])
    m.result["matched"] = len(matched)
    m.set_result(filter_lines(matched, last=m.params["lines"] or None))
    if m.params["fail_on_match"] and m.params["pattern"] and matched:
        m.fail("{0} log line(s) match {1!r}".format(len(matched), m.params["pattern"]), lines=m.result["lines"])


def main():
    argument_spec = dict(
        app=dict(type="str"),
        app_id=dict(type="str"),
        component=dict(type="str"),
        deployment_id=dict(type="str"),
        type=dict(type="str", choices=["BUILD", "DEPLOY", "RUN", "RUN_RESTARTED"], default="RUN"),
        lines=dict(type="int", default=100),
        pattern=dict(type="str"),
        fail_on_match=dict(type="bool", default=False),
    )
    m = DOModule(argument_spec, result_key="lines", required_one_of=[("app", "app_id")],
                 mutually_exclusive=[("app", "app_id")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
