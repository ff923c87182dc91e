# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client layer: retries, errors, pagination, waiting, diffs — without a network."""

import json
import time

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import HttpTransport

from ansible_collections.appplatform.n8n.plugins.module_utils import _retries
from ansible_collections.appplatform.n8n.plugins.module_utils._client import DOClient
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import REDACTED, Diff, changed_fields, desired_from_params, redact
from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError, WaitTimeout
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import (
    AppPlatformRetryPolicy, create_once, rate_limit_delay)
from ansible_collections.appplatform.n8n.plugins.module_utils._version import COLLECTION_VERSION
from ansible_collections.appplatform.n8n.plugins.module_utils._waiters import wait_for


# -- a scripted transport: real pydo client, real pipeline, canned answers ---------------------

class _Resp:
    def __init__(self, request, status, body, headers=None):
        self.request = request
        self.status_code = status
        self.headers = dict(headers or {})
        self.headers.setdefault("Content-Type", "application/json")
        self.reason = "X"
        self.content_type = "application/json"
        self._body = json.dumps(body).encode() if body is not None else b""
        self.content = self._body

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()

    def read(self):
        return self._body

    def json(self):
        return json.loads(self._body) if self._body else None

    def raise_for_status(self):
        pass

    def close(self):
        pass


class ScriptedTransport(HttpTransport):
    """Answers each request with the next scripted item: (status, body[, headers]) or an exception."""

    def __init__(self, script, real_sleep=False):
        self.script = list(script)
        self.sent = []
        self.slept = []
        self.real_sleep = real_sleep

    def send(self, request, **kwargs):
        self.sent.append((request.method, request.url))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        status, body = item[0], item[1]
        headers = item[2] if len(item) > 2 else {}
        return _Resp(request, status, body, headers)

    def sleep(self, duration):
        self.slept.append(duration)
        if self.real_sleep:
            time.sleep(duration)

    def open(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


def make_client(script, check_mode=False, deadline=60, real_sleep=False):
    import pydo

    transport = ScriptedTransport(script, real_sleep=real_sleep)
    policy = AppPlatformRetryPolicy(deadline=deadline)
    client = DOClient.__new__(DOClient)
    client.check_mode = check_mode
    client.requests = []
    client.planned = []
    client.retry_policy = policy
    from ansible_collections.appplatform.n8n.plugins.module_utils._client import _RequestRecorder

    client.pydo = pydo.Client("tok", endpoint="https://api.example.test", retry_policy=policy, transport=transport,
                              per_retry_policies=[_RequestRecorder(client.requests)])
    return client, transport


VPC = {"id": "v1", "name": "n", "region": "fra1", "ip_range": "10.0.0.0/20", "description": "", "default": False,
       "urn": "do:vpc:v1", "created_at": "2026-01-01T00:00:00Z"}
ERR404 = {"id": "not_found", "message": "The resource you requested could not be found.", "request_id": "r-404"}


def test_get_returns_none_for_404_that_pydo_returns_as_a_dict():
    client, transport = make_client([(404, ERR404)])
    assert client.get("vpcs.get", "v1") is None
    assert len(transport.sent) == 1


def test_error_carries_status_id_message_and_request_id():
    client, _ = make_client([(401, {"id": "unauthorized", "message": "Unable to authenticate you.", "request_id": "r-1"})])
    with pytest.raises(APIError) as raised:
        client.call("vpcs.list")
    err = raised.value
    assert (err.status, err.error_id, err.request_id) == (401, "unauthorized", "r-1")
    kwargs = err.to_fail_kwargs()
    assert "HTTP 401" in kwargs["msg"] and "r-1" in kwargs["msg"]


def test_get_is_retried_on_429_and_503_and_honours_retry_after():
    client, transport = make_client([(429, {"id": "too_many_requests", "message": "x"}, {"Retry-After": "3"}),
                                     (503, {"id": "service_unavailable", "message": "x"}),
                                     (200, {"vpc": VPC})])
    assert client.call("vpcs.get", "v1")["vpc"]["id"] == "v1"
    assert len(transport.sent) == 3
    assert transport.slept[0] == 3.0


def test_post_is_not_retried_after_a_500():
    client, transport = make_client([(500, {"id": "server_error", "message": "boom"}), (201, {"vpc": VPC})])
    with pytest.raises(APIError) as raised:
        client.write("vpcs.create", body={"name": "n", "region": "fra1"})
    assert raised.value.ambiguous and raised.value.status == 500
    assert len(transport.sent) == 1


def test_post_is_not_retried_after_a_lost_answer():
    client, transport = make_client([ServiceResponseError("read timed out"), (201, {"vpc": VPC})])
    with pytest.raises(APIError) as raised:
        client.write("vpcs.create", body={"name": "n", "region": "fra1"})
    assert raised.value.ambiguous
    assert len(transport.sent) == 1


def test_post_is_retried_on_429_and_when_the_request_never_left():
    client, transport = make_client([(429, {"id": "too_many_requests", "message": "x"}),
                                     ServiceRequestError("connection refused"),
                                     (201, {"vpc": VPC})])
    assert client.write("vpcs.create", body={"name": "n", "region": "fra1"})["vpc"]["id"] == "v1"
    assert len(transport.sent) == 3


def test_retries_stop_at_the_deadline():
    client, transport = make_client([(503, {"id": "x", "message": "x"}, {"Retry-After": "100"})] * 5, deadline=0.05,
                                    real_sleep=True)
    with pytest.raises(APIError):
        client.call("vpcs.list")
    assert len(transport.sent) <= 2
    assert all(s <= 0.05 for s in transport.slept)


def test_rate_limit_reset_is_honoured_when_the_budget_is_spent():
    assert rate_limit_delay({"ratelimit-remaining": "0", "ratelimit-reset": "1010"}, now=1000) == 10
    assert rate_limit_delay({"ratelimit-remaining": "5", "ratelimit-reset": "1010"}, now=1000) is None
    assert rate_limit_delay({"Retry-After": "2"}) == 2.0


def test_backoff_is_capped():
    assert all(_retries.backoff_delay(n, base=0.5, cap=8, rng=lambda: 1.0) <= 8 for n in range(20))
    assert _retries.backoff_delay(1, base=0.5, cap=8, rng=lambda: 1.0) == 1.0


def test_check_mode_sends_no_write_and_names_the_planned_call():
    client, transport = make_client([], check_mode=True)
    assert client.write("vpcs.create", body={"name": "n"}) is None
    assert client.write("vpcs.patch", "v1", body={"name": "m"}) is None
    assert transport.sent == []
    assert client.writes == ["POST /v2/vpcs", "PATCH /v2/vpcs/v1"]


def test_writes_lists_sent_writes_not_reads():
    client, _ = make_client([(200, {"vpcs": [], "links": {}, "meta": {"total": 0}}), (201, {"vpc": VPC})])
    client.paginate("vpcs.list", "vpcs")
    client.write("vpcs.create", body={"name": "n", "region": "fra1"})
    assert client.writes == ["POST /v2/vpcs 201"]


def test_paginate_follows_next_links_with_per_page_200():
    page1 = {"vpcs": [VPC], "links": {"pages": {"next": "https://api.digitalocean.com/v2/vpcs?page=2&per_page=200"}},
             "meta": {"total": 2}}
    page2 = {"vpcs": [dict(VPC, id="v2")], "links": {"pages": {}}, "meta": {"total": 2}}
    client, transport = make_client([(200, page1), (200, page2)])
    assert [v["id"] for v in client.paginate("vpcs.list", "vpcs")] == ["v1", "v2"]
    assert "per_page=200" in transport.sent[0][1] and "page=2" in transport.sent[1][1]


def test_create_once_looks_up_before_trying_again():
    calls = []

    def create():
        calls.append("create")
        raise APIError("boom", status=500, ambiguous=True)

    found, by_lookup = create_once(create, lambda: {"id": "v1"}, sleep=lambda s: None)
    assert found == {"id": "v1"} and by_lookup is True and calls == ["create"]


def test_create_once_retries_when_the_lookup_finds_nothing_and_never_retries_clear_errors():
    attempts = []

    def create():
        attempts.append(1)
        if len(attempts) == 1:
            raise APIError("boom", status=503, ambiguous=True)
        return {"id": "v9"}

    assert create_once(create, lambda: None, sleep=lambda s: None) == ({"id": "v9"}, False)
    with pytest.raises(APIError):
        create_once(lambda: (_ for _ in ()).throw(APIError("bad", status=422)), lambda: None, sleep=lambda s: None)


def test_wait_for_returns_as_soon_as_done_and_backs_off_with_a_cap():
    clock = {"t": 0.0}
    sleeps = []
    values = iter(["creating"] * 30 + ["online"])

    def sleep(s):
        sleeps.append(s)
        clock["t"] += s

    result = wait_for(lambda: next(values), lambda v: v == "online", timeout=600, clock=lambda: clock["t"], sleep=sleep)
    assert result.value == "online" and result.polls == 31
    assert max(sleeps) <= 1.5 and sleeps[0] < sleeps[3]


def test_wait_for_times_out_and_stops_on_failure_states():
    clock = {"t": 0.0}

    def sleep(s):
        clock["t"] += s

    with pytest.raises(WaitTimeout):
        wait_for(lambda: "creating", lambda v: False, timeout=5, clock=lambda: clock["t"], sleep=sleep)
    with pytest.raises(WaitTimeout) as raised:
        wait_for(lambda: "ERROR", lambda v: v == "ACTIVE", timeout=5, failed=lambda v: "failed: " + v,
                 clock=lambda: clock["t"], sleep=sleep)
    assert raised.value.last == "ERROR"


def test_desired_keeps_only_set_options_and_changed_fields_compares_normalized():
    params = {"name": "a", "description": None, "region": "fra1"}
    desired = desired_from_params(params, ("name", "description", "region"))
    assert desired == {"name": "a", "region": "fra1"}
    assert changed_fields(desired, {"name": "a ", "region": "fra1", "description": "x"}) == {}
    assert changed_fields({"name": "b"}, {"name": "a"}) == {"name": "b"}


def test_redaction_hides_secret_fields_at_any_depth_and_given_values():
    value = {"connection": {"password": "hunter2", "uri": "postgres://u:hunter2@h/db", "host": "h"},
             "envs": [{"key": "X", "value": "s3cr3t-value"}]}
    out = redact(value, extra_values=["s3cr3t-value"])
    assert out["connection"]["password"] == REDACTED and out["connection"]["uri"] == REDACTED
    assert out["connection"]["host"] == "h"
    assert out["envs"][0]["value"] == REDACTED
    assert value["connection"]["password"] == "hunter2"  # the original is untouched
    assert Diff({"token": "t"}, {"token": "u"}).as_result() == {"before": {"token": REDACTED}, "after": {"token": REDACTED}}


def test_version_matches_galaxy_yml():
    import os

    import yaml

    galaxy = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")
    with open(galaxy) as handle:
        assert yaml.safe_load(handle)["version"] == COLLECTION_VERSION


def test_user_agent_names_the_collection_and_tls_is_verified_with_the_ca_bundle():
    client = DOClient("tok", api_endpoint="https://api.example.test", ca_bundle="/tmp/ca.pem")
    assert "appplatform.n8n/" + COLLECTION_VERSION in client.pydo._config.user_agent_policy.user_agent
    assert client.pydo._client._pipeline._transport.connection_config.verify == "/tmp/ca.pem"
