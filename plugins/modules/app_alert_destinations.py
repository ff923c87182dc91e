#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app_alert_destinations
short_description: Set where the alerts of a DigitalOcean App Platform app are sent (emails, Slack webhooks)
version_added: 0.1.0
description:
  - Alerts themselves are declared in the app spec (C(spec.alerts) for app events such as C(DEPLOYMENT_FAILED),
    component C(alerts) for metrics such as C(CPU_UTILIZATION)); this module sets their destinations.
  - Every alert of the app selected by O(rules) and O(component) gets exactly the given O(emails) and
    O(slack_webhooks); alerts whose destinations already match are left alone.
  - Slack webhook URLs are credentials; they never appear in the output.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  app:
    description: Name of the app.
    type: str
  app_id:
    description: ID of the app (instead of O(app)).
    type: str
  rules:
    description: Only alerts with these rules (for example V(DEPLOYMENT_FAILED)); all alerts when unset.
    type: list
    elements: str
  component:
    description: Only alerts of this component; V("") selects the app-level alerts.
    type: str
  emails:
    description: Email addresses (they must belong to team members).
    type: list
    elements: str
    default: []
  slack_webhooks:
    description: Slack incoming webhooks.
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description: Webhook URL.
        type: str
        required: true
      channel:
        description: Channel name.
        type: str
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: Deployment and domain failures go to the on-call team
  appplatform.n8n.app_alert_destinations:
    app: n8n
    rules: [DEPLOYMENT_FAILED, DOMAIN_FAILED]
    emails: [oncall@example.com]
    slack_webhooks:
      - url: "{{ vault_slack_webhook }}"
        channel: "#n8n-alerts"
"""

RETURN = r"""
alerts:
  description: The selected alerts after the change (webhook URLs redacted).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf
      rule: DEPLOYMENT_FAILED
      component_name: ""
      emails: [oncall@example.com]
      slack_webhooks: [{url: "**REDACTED**", channel: "#n8n-alerts"}]
      phase: ACTIVE
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/alerts/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/destinations 200"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._apps import find_app
from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import REDACTED


def hooks_key(hooks):
    return sorted((h.get("url") or "", h.get("channel") or "") for h in hooks or [])


def shown(alert):
    return {"id": alert.get("id"), "rule": (alert.get("spec") or {}).get("rule"),
            "component_name": alert.get("component_name") or "", "emails": list(alert.get("emails") or []),
            "slack_webhooks": [{"url": REDACTED, "channel": h.get("channel")} for h in alert.get("slack_webhooks") or []],
            "phase": alert.get("phase")}


def reconcile(m):
    app = find_app(m.client, name=m.params["app"], app_id=m.params["app_id"])
    if app is None:
        m.fail("No app {0}.".format(m.params["app"] or m.params["app_id"]))
    for hook in m.params["slack_webhooks"]:
        m.module.no_log_values.add(hook["url"])
    alerts = (m.client.call("apps.list_alerts", app["id"]) or {}).get("alerts") or []
    selected = [a for a in alerts
                if (not m.params["rules"] or (a.get("spec") or {}).get("rule") in m.params["rules"])
                and (m.params["component"] is None or (a.get("component_name") or "") == m.params["component"])]
    if m.params["rules"]:
        missing = set(m.params["rules"]) - {(a.get("spec") or {}).get("rule") for a in selected}
        if missing:
            m.fail("App {0!r} has no alert with rule {1}: declare it in the app spec first.".format(
                app["spec"]["name"], ", ".join(sorted(missing))))
    emails = sorted(set(m.params["emails"]))
    hooks = [{k: v for k, v in h.items() if v is not None} for h in m.params["slack_webhooks"]]
    result = []
    m.diff.before, m.diff.after = {}, {}
    for alert in selected:
        label = "{0}/{1}".format(alert.get("component_name") or "app", (alert.get("spec") or {}).get("rule"))
        same = sorted(alert.get("emails") or []) == emails and hooks_key(alert.get("slack_webhooks")) == hooks_key(hooks)
        m.diff.before[label] = {k: v for k, v in shown(alert).items() if k in ("emails", "slack_webhooks")}
        if same:
            result.append(shown(alert))
            continue
        m.mark_changed()
        after = dict(alert, emails=emails, slack_webhooks=hooks)
        m.diff.after[label] = {k: v for k, v in shown(after).items() if k in ("emails", "slack_webhooks")}
        body = m.client.write("apps.assign_alert_destinations", app["id"], alert["id"],
                              body={"emails": emails, "slack_webhooks": hooks})
        result.append(shown((body or {}).get("alert") or after))
    for label, value in m.diff.before.items():
        m.diff.after.setdefault(label, value)
    m.set_result(result)


def main():
    argument_spec = dict(
        app=dict(type="str"),
        app_id=dict(type="str"),
        rules=dict(type="list", elements="str"),
        component=dict(type="str"),
        emails=dict(type="list", elements="str", default=[]),
        slack_webhooks=dict(type="list", elements="dict", default=[], options=dict(
            url=dict(type="str", required=True, no_log=True),
            channel=dict(type="str"),
        )),
    )
    m = DOModule(argument_spec, result_key="alerts", required_one_of=[("app", "app_id")],
                 mutually_exclusive=[("app", "app_id")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
