# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the real-n8n tests: workflows, webhook calls and executions through the public route,
and the deprecation check on n8n's own start-up output."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

# n8n's deprecation notices we ignore, and why.  Anything else n8n lists for a variable the spec sets
# fails the test.
IGNORED_DEPRECATIONS = {
    # default-change notices for settings the collection does not render (n8n prints them whenever the
    # variable is unset; they announce a future default, nothing we set is deprecated)
    "N8N_UNVERIFIED_PACKAGES_ENABLED": "n8n's notice that its default changes; not rendered",
    "N8N_COMPRESSION_NODE_MAX_DECOMPRESSED_SIZE_BYTES": "n8n's notice that its default changes; not rendered",
    "N8N_COMPRESSION_NODE_MAX_ZIP_ENTRIES": "n8n's notice that its default changes; not rendered",
}
# Deprecated settings the renderer still renders, found by these tests and reported (not silently ignored:
# the tests assert that exactly these show up, so a fix or a new one is noticed).  Empty since every tier
# renders external task runners (N8N_RUNNERS_MODE=internal, the old simple/queue default, was one).
KNOWN_RENDERED_DEPRECATIONS = {}
# Log lines that look alarming but are expected in the sandbox (listed, not hidden):
EXPECTED_NOISE = (
    "Postgres 15 is not supported",        # the sandbox's PostgreSQL is 15; DO's managed PostgreSQL is 17
    "getaddrinfo ENOTFOUND api.n8n.io",    # no internet: n8n's MCP registry refresh fails
)


def deprecations(log_text):
    """{VAR: message} of every deprecation block n8n printed at start-up."""
    found = {}
    for block in re.findall(r"There (?:is a deprecation|are deprecations) related to your n8n setup[^\n]*\n"
                            r"((?: - [^\n]*\n?)+)", log_text):
        for line in block.splitlines():
            m = re.match(r" - (\S+) -> (.*)", line)
            if m:
                found[m.group(1)] = m.group(2)
            elif line.startswith(" - "):
                found[line[3:60]] = line[3:]
    return found


def rendered_deprecations(run):
    """Deprecations n8n printed for variables the spec sets, per component: {component: {VAR: message}}."""
    out = {}
    for inst in run.instances:
        if inst.process is None or inst.image != "n8n":
            continue
        rendered = {e["key"]: e.get("value") for e in inst.comp.get("envs") or []}
        for var, message in deprecations(inst.process.log_text()).items():
            if var in IGNORED_DEPRECATIONS and var not in rendered:
                continue
            out.setdefault(inst.component, {})[var] = message
    return out


def assert_no_rendered_deprecations(run):
    found = rendered_deprecations(run)
    unexpected = {}
    for component, items in found.items():
        for var, message in items.items():
            inst = next(i for i in run.instances if i.component == component)
            value = {e["key"]: e.get("value") for e in inst.comp.get("envs") or []}.get(var)
            if KNOWN_RENDERED_DEPRECATIONS.get(var) == value:
                continue
            unexpected.setdefault(component, {})[var] = message
    assert not unexpected, "n8n deprecation warnings for settings the spec sets:\n" + json.dumps(unexpected, indent=1)
    return found


def webhook_code_workflow(path, js, name=None):
    """Webhook (GET /webhook/<path>, answers with the last node's output) -> Code node."""
    return {
        "name": name or "sandbox-" + path,
        "nodes": [
            {"id": "a1", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
             "position": [0, 0], "webhookId": path,
             "parameters": {"path": path, "httpMethod": "GET", "responseMode": "lastNode",
                            "responseData": "firstEntryJson"}},
            {"id": "a2", "name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2,
             "position": [220, 0], "parameters": {"jsCode": js}},
        ],
        "connections": {"Webhook": {"main": [[{"node": "Code", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1", "saveDataSuccessExecution": "all"},
    }


def create_and_activate(client, wf):
    st, body = client.request("POST", "/api/v1/workflows", wf, api=True)
    assert st == 200, body
    wid = body["id"]
    st, body = client.request("POST", "/api/v1/workflows/{0}/activate".format(wid), api=True)
    assert st == 200, body
    return wid


def call_webhook(base_url, path, context, timeout=60.0, tries=20):
    """GET the production webhook through the public route; right after activation it may need a moment."""
    delay = 0.1
    for _ in range(tries):
        try:
            with urllib.request.urlopen("{0}/webhook/{1}".format(base_url, path), timeout=timeout,
                                        context=context) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 404:
                return e.code, e.read().decode(errors="replace")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise AssertionError("webhook {0} never registered".format(path))


def executions(client, wid):
    st, body = client.request("GET", "/api/v1/executions?workflowId={0}&limit=20".format(wid), api=True)
    assert st == 200, body
    return body["data"]


def https_get(url, context, timeout=30.0, headers=None):
    """(status, headers, body) of GET url without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
