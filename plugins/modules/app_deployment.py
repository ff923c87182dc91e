#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app_deployment
short_description: Deploy, cancel or roll back a DigitalOcean App Platform app
version_added: 0.1.0
description:
  - V(deployed) starts a new deployment of the app's current spec (optionally rebuilding from source) and waits for
    it. This is an action, so it always reports a change.
  - V(canceled) cancels a deployment in progress (O(deployment_id), or the app's current one); nothing to cancel is
    no change.
  - V(rolled_back) rolls the app back to an earlier deployment (O(deployment_id), or the most recent earlier one the
    API accepts). The API's rollback validation runs first and its error stops the task before any change. The
    rollback deployment is waited for and then committed (O(commit)), which unpins the app; without O(wait) the
    rollback is committed right away (C(skip_pin)) when O(commit) is set.
  - An app whose active deployment is already a rollback (C(cloned_from) set) is left alone by V(rolled_back) without
    O(deployment_id), so that running the task again does not roll back further; with O(deployment_id), nothing
    changes when the active deployment is already a rollback to it.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  app:
    description: Name of the app.
    type: str
  app_id:
    description: ID of the app (instead of O(app)).
    type: str
  state:
    description: What to do.
    type: str
    choices: [deployed, canceled, rolled_back]
    default: deployed
  force_build:
    description: With V(deployed), rebuild components from source even when nothing changed.
    type: bool
    default: false
  deployment_id:
    description: With V(canceled), the deployment to cancel; with V(rolled_back), the deployment to roll back to.
    type: str
  commit:
    description: With V(rolled_back), commit the rollback once its deployment is ACTIVE (unpins the app).
    type: bool
    default: true
  wait:
    description: Wait for the new deployment to become ACTIVE.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1800
  log_lines:
    description: How many log lines of the failing component to show when a deployment fails.
    type: int
    default: 20
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: Redeploy n8n
  appplatform.n8n.app_deployment:
    app: n8n

- name: Roll back to the previous deployment
  appplatform.n8n.app_deployment:
    app: n8n
    state: rolled_back
"""

RETURN = r"""
deployment:
  description: The deployment started, canceled or rolled back to (ID, phase, cause, C(cloned_from)); V(null) when nothing was done.
  returned: always
  type: dict
  sample: {id: b6bdf840-2854-4f87-a36c-5f231c617c84, phase: ACTIVE, cause: manual, cloned_from: null, polls: 3, waited: 1.1}
rollback:
  description: The API's rollback validation (C(valid), C(error), C(warnings)) for V(rolled_back).
  returned: when O(state=rolled_back) and a rollback was validated
  type: dict
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["POST /v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/deployments 200"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._apps import (
    find_app,
    wait_for_deployment,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule


def brief(dep, **extra):
    if not dep:
        return None
    return dict({"id": dep.get("id"), "phase": dep.get("phase"), "cause": dep.get("cause"),
                 "cloned_from": dep.get("cloned_from")}, **extra)


def follow(m, app, dep):
    if not m.params["wait"] or m.check_mode or not dep:
        return brief(dep)
    result = wait_for_deployment(m.client, app["id"], dep["id"], m.params["wait_timeout"],
                                 ca_bundle=m.params["ca_bundle"], log_lines=m.params["log_lines"])
    return brief(result.value, polls=result.polls, waited=round(result.elapsed, 2))


def deploy(m, app):
    m.mark_changed()
    body = m.client.write("apps.create_deployment", app["id"], body={"force_build": m.params["force_build"]})
    m.set_result(follow(m, app, (body or {}).get("deployment")))


def cancel(m, app):
    dep = None
    if m.params["deployment_id"]:
        dep = (m.client.call("apps.get_deployment", app["id"], m.params["deployment_id"]) or {}).get("deployment")
    else:
        dep = app.get("in_progress_deployment")
    if not dep or dep.get("phase") in ("ACTIVE", "ERROR", "CANCELED", "SUPERSEDED"):
        m.set_result(brief(dep))
        return
    m.mark_changed()
    body = m.client.write("apps.cancel_deployment", app["id"], dep["id"])
    m.set_result(brief((body or {}).get("deployment") or dep))


def candidates(m, app):
    """Earlier deployments to roll back to, newest first."""
    active_id = (app.get("active_deployment") or {}).get("id")
    deps = m.client.call("apps.list_deployments", app["id"], per_page=50).get("deployments") or []
    deps.sort(key=lambda d: d.get("created_at") or "", reverse=True)
    return [d for d in deps if d.get("id") != active_id and d.get("phase") == "SUPERSEDED"]


def roll_back(m, app):
    active = app.get("active_deployment") or {}
    target_id = m.params["deployment_id"]
    if (target_id and active.get("cloned_from") == target_id) or (not target_id and active.get("cloned_from")):
        if m.params["commit"] and app.get("pinned_deployment"):
            m.mark_changed()
            m.client.write("apps.commit_rollback", app["id"])
        m.set_result(brief(active))
        return
    targets = [target_id] if target_id else [d["id"] for d in candidates(m, app)]
    validation = None
    for candidate in targets:
        validation = m.client.call("apps.validate_rollback", app["id"], body={"deployment_id": candidate})
        m.result["rollback"] = dict(validation or {}, deployment_id=candidate)
        if validation and validation.get("valid"):
            target_id = candidate
            break
    else:
        if validation is None:
            m.fail("App {0!r} has no earlier deployment to roll back to.".format(app["spec"]["name"]))
        error = validation.get("error") or {}
        m.fail("The API refuses the rollback: {0} ({1})".format(error.get("message"), error.get("code")),
               rollback=validation)
    m.mark_changed()
    skip_pin = bool(m.params["commit"] and not m.params["wait"])
    body = m.client.write("apps.create_rollback", app["id"], body={"deployment_id": target_id, "skip_pin": skip_pin})
    dep = (body or {}).get("deployment")
    result = follow(m, app, dep)
    if dep and m.params["wait"] and m.params["commit"]:
        m.client.write("apps.commit_rollback", app["id"])
    m.set_result(result)


def reconcile(m):
    app = find_app(m.client, name=m.params["app"], app_id=m.params["app_id"])
    if app is None:
        m.fail("No app {0}.".format(m.params["app"] or m.params["app_id"]))
    {"deployed": deploy, "canceled": cancel, "rolled_back": roll_back}[m.params["state"]](m, app)


def main():
    argument_spec = dict(
        app=dict(type="str"),
        app_id=dict(type="str"),
        state=dict(type="str", choices=["deployed", "canceled", "rolled_back"], default="deployed"),
        force_build=dict(type="bool", default=False),
        deployment_id=dict(type="str"),
        commit=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        log_lines=dict(type="int", default=20),
    )
    m = DOModule(argument_spec, result_key="deployment", required_one_of=[("app", "app_id")],
                 mutually_exclusive=[("app", "app_id")])
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
