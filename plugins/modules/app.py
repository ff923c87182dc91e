#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app
short_description: Create, update or delete a DigitalOcean App Platform app from its app spec
version_added: 0.1.0
description:
  - Makes sure an App Platform app exists with exactly the given app spec, or does not exist. The app is found by
    the C(name) in O(spec) (app names are unique in an account).
  - The spec is first validated by the API (C(POST /v2/apps/propose)); an invalid spec fails with the API's message
    before anything changes. Check mode makes the same call and reports the diff.
  - "Idempotent: the API returns the spec with server-side defaults added (instance size and count, C(http_port),
    env C(scope) and C(type), image C(tag), generated ingress rules, region) and zero values left out. Both specs are
    compared after the same normalization, so these never cause a change, and an identical re-run changes nothing."
  - "B(Secrets.) The API never returns SECRET env values (nor image C(registry_credentials)): it returns C(EV[...])
    ciphertext that differs on every submission. To know whether a secret changed without keeping it anywhere, the
    module stores in the app spec an app-level env var C(APPPLATFORM_N8N_SECRETS_FINGERPRINT) (type GENERAL, scope
    BUILD_TIME, so image components never see it at run time) holding one digest of all plaintext secrets with their
    places in the spec: scrypt (N=2^15, r=8, p=1) with a random per-app salt that is kept from run to run, or, when
    O(secrets_fingerprint_key) is set, an HMAC-SHA256 keyed with it. A changed fingerprint means a secret changed:
    the spec is sent with the plaintext values and deployed; an unchanged one means no secret changed."
  - "Trade-off: anyone who can read the app spec can test guesses against the scrypt digest, at about 0.1-0.3 s of
    CPU and 32 MiB per guess and per app (the salt rules out precomputed tables). All secrets share one digest, so a
    single high-entropy secret (for n8n, C(N8N_ENCRYPTION_KEY)) makes that hopeless; if all your secrets are weak,
    set O(secrets_fingerprint_key) (for example from Ansible Vault): then nothing in the spec can be checked without
    that key. Keying with the API token was rejected because token rotations and per-operator tokens would redeploy
    the app. Changing O(secrets_fingerprint_key) (or setting it for the first time) redeploys once."
  - A SECRET value given as the C(EV[...]) ciphertext the API returned is sent back as is, which keeps the secret.
    Secret values never appear in the diff, the result or the logs (they are registered as no_log values).
  - The fingerprint cannot see changes made outside this module (for example a secret edited in the control panel
    while its plaintext here stayed the same); re-run with O(force_secrets=true) to push the plaintexts anyway.
  - With O(wait), follows the deployment that this change started (not an older one) until it is ACTIVE and returns
    as soon as it is; a deployment that ends in ERROR fails the task with the failed phase and step and the last log
    lines of the failing component.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  spec:
    description:
      - The app spec, as in the DigitalOcean API (C(name), C(region), C(services), C(workers), C(jobs), C(databases),
        C(envs), C(alerts), C(ingress), ...). C(name) is required.
      - For O(state=absent) only C(spec.name) is used.
    type: dict
    required: true
  state:
    description:
      - V(present) creates or updates the app, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  project:
    description:
      - ID of the project to create the app in (default project when unset). Only used when the app is created.
    type: str
  wait:
    description:
      - Wait for the deployment started by a create or update to become ACTIVE.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the deployment.
    type: int
    default: 1800
  log_lines:
    description:
      - How many log lines of the failing component to show when a deployment fails.
    type: int
    default: 20
  secrets_fingerprint_key:
    description:
      - Key for the HMAC that fingerprints the secret values (see the description). Optional; keep it stable.
    type: str
  validate:
    description:
      - Validate the spec through the API (C(POST /v2/apps/propose)) before any change, and compare the API's view of
        it with the app. Turn it off only when the API cannot validate the spec yet, for example in check mode before
        the database clusters the spec binds to exist; the spec is then compared with the defaults the API is known
        to add.
    type: bool
    default: true
  force_secrets:
    description:
      - Send the plaintext secret values and deploy even when the fingerprint says they did not change.
    type: bool
    default: false
  protect_secrets:
    description:
      - Fail before any change when this run would change the value of a secret the app already holds (see
        RV(secrets_changed)), unless the secret is listed in O(rotate_secrets). For secrets whose loss is costly,
        such as n8n's C(N8N_ENCRYPTION_KEY).
    type: bool
    default: false
  rotate_secrets:
    description:
      - With O(protect_secrets=true), names of the secrets this run may change (a deliberate rotation).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - appplatform.n8n.digitalocean
  - appplatform.n8n.digitalocean.action_group
  - appplatform.n8n.digitalocean.check_diff
"""

EXAMPLES = r"""
- name: n8n on App Platform
  appplatform.n8n.app:
    spec:
      name: n8n
      region: fra
      services:
        - name: n8n
          image:
            registry_type: GHCR
            registry: ghcr.io
            repository: n8n-io/n8n
            tag: "1.123.4"
          http_port: 5678
          instance_size_slug: apps-s-1vcpu-1gb
          health_check:
            http_path: /healthz
          envs:
            - key: N8N_ENCRYPTION_KEY
              value: "{{ vault_n8n_encryption_key }}"
              type: SECRET
              scope: RUN_TIME
            - key: DB_POSTGRESDB_HOST
              value: "${n8n-db.HOSTNAME}"
      databases:
        - name: n8n-db
          engine: PG
          production: true
          cluster_name: n8n-pg
  register: app

- name: Where it runs
  ansible.builtin.debug:
    msg: "{{ app.app.live_url }} ({{ app.app.active_deployment.id }})"

- name: Delete it
  appplatform.n8n.app:
    spec:
      name: n8n
    state: absent
"""

RETURN = r"""
app:
  description: The app after the change (in check mode, as it is now or would be). Empty after a delete.
  returned: always
  type: dict
  contains:
    id:
      description: App ID (V(null) in check mode before the app exists).
      type: str
    name:
      description: App name.
      type: str
    live_url:
      description: Public URL of the live deployment.
      type: str
    default_ingress:
      description: Default C(ondigitalocean.app) URL.
      type: str
    active_deployment:
      description: ID and phase of the active deployment.
      type: dict
    in_progress_deployment:
      description: ID and phase of the deployment in progress, if any.
      type: dict
    components:
      description: Component names by kind (C(services), C(workers), C(jobs), C(databases)...).
      type: dict
    spec:
      description: The spec as the API stores it (defaults added, secrets as C(EV[...])).
      type: dict
  sample:
    id: 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf
    name: n8n
    live_url: https://n8n-abcde.ondigitalocean.app
    default_ingress: https://n8n-abcde.ondigitalocean.app
    active_deployment: {id: b6bdf840-2854-4f87-a36c-5f231c617c84, phase: ACTIVE}
    components: {services: [n8n], databases: [n8n-db]}
secrets_changed:
  description:
    - Names of the secrets the app already holds whose value this run changes, by the fingerprint. Secrets only
      added or removed are not listed. When the app has no usable fingerprint (created elsewhere, or
      O(secrets_fingerprint_key) changed), every secret name is listed if anything differs. Empty when the app
      does not exist.
    - O(protect_secrets) refuses, before any change, to deploy a change of these.
  returned: always
  type: list
  elements: str
  sample: [N8N_ENCRYPTION_KEY]
deployment:
  description: The deployment this run started and waited for, with the number of polls and seconds waited.
  returned: when a deployment was started and O(wait=true)
  type: dict
  sample: {id: b6bdf840-2854-4f87-a36c-5f231c617c84, phase: ACTIVE, polls: 4, waited: 3.2}
api_calls:
  description: State-changing API calls made (V("METHOD /path status")), or in check mode those that would be made.
  returned: always
  type: list
  elements: str
  sample: ["PUT /v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf 200"]
"""

from ansible_collections.appplatform.n8n.plugins.module_utils._apps import (
    canonical,
    changed_secret_names,
    current_tokens,
    desired_tokens,
    find_app,
    plaintext_secrets,
    redact_spec,
    summary,
    wait_for_deployment,
    with_fingerprint,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._base import DOModule
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import create_once


def wait(m, app, deployment):
    if not m.params["wait"] or m.check_mode or not deployment:
        return app
    result = wait_for_deployment(m.client, app["id"], deployment["id"], m.params["wait_timeout"],
                                 ca_bundle=m.params["ca_bundle"], log_lines=m.params["log_lines"])
    m.result["deployment"] = {"id": result.value["id"], "phase": result.value["phase"], "polls": result.polls,
                              "waited": round(result.elapsed, 2)}
    return m.client.call("apps.get", app["id"])["app"]


def new_deployment_of(app):
    return app.get("pending_deployment") or app.get("in_progress_deployment")


def reconcile(m):
    spec = m.params["spec"]
    name = spec.get("name")
    if not name:
        m.fail("spec.name is required.")
    for value in plaintext_secrets(spec):
        m.module.no_log_values.add(value)
    current = find_app(m.client, name=name)

    if m.params["state"] == "absent":
        if current is None:
            m.set_result({})
            return
        m.diff.before = redact_spec(current["spec"])
        m.mark_changed()
        m.client.delete("apps.delete", current["id"])
        m.set_result({})
        return

    current_spec = current["spec"] if current else None
    desired = with_fingerprint(spec, current_spec, m.params["secrets_fingerprint_key"])
    m.result["secrets_changed"] = changed_secret_names(desired, current_spec)
    refused = sorted(set(m.result["secrets_changed"]) - set(m.params["rotate_secrets"]))
    if m.params["protect_secrets"] and refused:
        m.fail("The value of {0} differs from what app {1} runs with, and protect_secrets is on: nothing was "
               "changed. For a deliberate rotation list {2} in rotate_secrets."
               .format(", ".join(refused), name, "it" if len(refused) == 1 else "them"),
               secrets_changed=m.result["secrets_changed"], secrets_refused=refused)
    proposed_spec = desired
    if m.params["validate"]:
        proposal = m.client.call("apps.validate_app_spec", body=dict({"spec": desired},
                                                                     **({"app_id": current["id"]} if current else {})))
        proposed_spec = (proposal or {}).get("spec") or desired

    if current is None:
        m.diff.after = redact_spec(canonical(proposed_spec, desired_tokens(desired, None)))
        m.mark_changed()
        body = {"spec": desired}
        if m.params["project"]:
            body["project_id"] = m.params["project"]
        created, _found = create_once(lambda: (m.client.write("apps.create", body=body) or {}).get("app"),
                                      lambda: find_app(m.client, name=name))
        if created is None:  # check mode
            m.set_result(dict(summary({"spec": proposed_spec}), id=None))
            return
        m.set_result(summary(wait(m, created, new_deployment_of(created))))
        return

    # The proposal's spec (the server's view of ours, defaults added) with tokens for OUR secret values:
    # an EV[...] we send stands for itself, a plaintext for what the API holds (the fingerprint env decides).
    before = canonical(current_spec, current_tokens(current_spec))
    after = canonical(proposed_spec, desired_tokens(desired, current_spec), current_spec)
    m.diff.before = redact_spec(before)
    m.diff.after = redact_spec(after)
    if before == after and not (m.params["force_secrets"] and plaintext_secrets(spec)):
        m.set_result(summary(current))
        return
    m.mark_changed()
    updated = m.client.write("apps.update", current["id"], body={"spec": desired})
    if updated is None:  # check mode
        m.set_result(summary(current))
        return
    app = updated["app"]
    m.set_result(summary(wait(m, app, new_deployment_of(app))))


def main():
    argument_spec = dict(
        spec=dict(type="dict", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        project=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        log_lines=dict(type="int", default=20),
        secrets_fingerprint_key=dict(type="str", no_log=True),
        validate=dict(type="bool", default=True),
        force_secrets=dict(type="bool", default=False),
        protect_secrets=dict(type="bool", default=False),
        rotate_secrets=dict(type="list", elements="str", default=[], no_log=False),
    )
    m = DOModule(argument_spec, result_key="app")
    m.run(lambda: reconcile(m))


if __name__ == "__main__":
    main()
