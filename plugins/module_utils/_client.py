# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one DigitalOcean API client builder.

Private to the appplatform.n8n collection: it may change at any time.

:class:`DOClient` wraps a ``pydo.Client`` built with the collection's retry policy, the
User-Agent ``appplatform.n8n/<version>``, an optional CA bundle (TLS verification is never
turned off) and a recorder of every HTTP request. Every call goes through :meth:`DOClient.call`,
which turns pydo's mix of raised exceptions and returned error dicts into a body or an
:class:`APIError`; :meth:`DOClient.get` maps 404 to ``None``; :meth:`DOClient.write` runs a
state-changing call, or in check mode only records it; :meth:`DOClient.paginate` follows
``links.pages.next`` with ``per_page=200``.
"""

from __future__ import annotations

import re
import traceback
from urllib.parse import parse_qs, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError, error_from_body
from ansible_collections.appplatform.n8n.plugins.module_utils._retries import AppPlatformRetryPolicy
from ansible_collections.appplatform.n8n.plugins.module_utils._version import USER_AGENT

AZURE_IMPORT_ERROR = None
try:
    from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError
    from azure.core.pipeline.policies import SansIOHTTPPolicy
except ImportError:  # pragma: no cover - reported through missing_required_lib
    AZURE_IMPORT_ERROR = traceback.format_exc()
    SansIOHTTPPolicy = object

    class AzureError(Exception):
        """Placeholder while azure-core is missing."""

    class HttpResponseError(AzureError):
        """Placeholder while azure-core is missing."""

    class ServiceRequestError(AzureError):
        """Placeholder while azure-core is missing."""

# pydo itself (about 50 MB of generated code once imported) is imported on first use only, so that
# modules that never call the DigitalOcean API (the Spaces S3 modules) do not load it.
pydo = pydo_operations = None


def pydo_import_error():
    """``None`` when pydo can be imported (and imports it), else the traceback of the failure."""
    global pydo, pydo_operations  # pylint: disable=global-statement
    if AZURE_IMPORT_ERROR:
        return AZURE_IMPORT_ERROR
    if pydo is None:
        try:
            import pydo as pydo_module
            from pydo.operations import _operations as operations_module
        except ImportError:  # pragma: no cover - reported through missing_required_lib
            return traceback.format_exc()
        pydo, pydo_operations = pydo_module, operations_module
    return None


DEFAULT_API_ENDPOINT = "https://api.digitalocean.com"
TOKEN_ENV = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DO_API_TOKEN"]
READ_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
# Calls that change nothing although they are POSTs: the app-spec validation ("propose") and the
# rollback validation.
NON_WRITE_CALLS = frozenset([("POST", "/v2/apps/propose")])
NON_WRITE_PATHS = (("POST", re.compile(r"^/v2/apps/[^/]+/rollback/validate$")),)

# The options every DigitalOcean module takes (documented by the doc fragment
# appplatform.n8n.digitalocean).
DO_ARGUMENT_SPEC = dict(
    token=dict(type="str", no_log=True, fallback=(env_fallback, TOKEN_ENV)),
    api_endpoint=dict(type="str", fallback=(env_fallback, ["DIGITALOCEAN_API_ENDPOINT"])),
    ca_bundle=dict(type="path", fallback=(env_fallback, ["DIGITALOCEAN_CA_BUNDLE"])),
    api_timeout=dict(type="int", default=300),
)


def is_write(method, path):
    method = method.upper()
    if method in READ_METHODS or (method, path) in NON_WRITE_CALLS:
        return False
    return not any(method == m and regex.match(path) for m, regex in NON_WRITE_PATHS)


class _RequestRecorder(SansIOHTTPPolicy):
    """Pipeline policy that records each HTTP exchange (method, path, status): no bodies, no headers."""

    def __init__(self, log):
        super().__init__()
        self._log = log

    def on_response(self, request, response):
        http_request = request.http_request
        self._log.append((http_request.method.upper(), urlsplit(http_request.url).path,
                          response.http_response.status_code))


class DOClient:
    """A pydo client with the collection's retries, error handling and call recording."""

    def __init__(self, token, api_endpoint=None, ca_bundle=None, api_timeout=300, check_mode=False, pydo_client=None,
                 retry_policy=None):
        self.check_mode = check_mode
        self.requests = []  # (method, path, status) of every HTTP exchange, retries included
        self.planned = []  # "METHOD /path" of writes skipped in check mode
        self.retry_policy = retry_policy or AppPlatformRetryPolicy(deadline=api_timeout)
        if pydo_client is not None:
            self.pydo = pydo_client
            return
        error = pydo_import_error()
        if error:
            raise ImportError(error)
        self.pydo = pydo.Client(
            token,
            endpoint=(api_endpoint or DEFAULT_API_ENDPOINT).rstrip("/"),
            connection_verify=ca_bundle or True,
            user_agent=USER_AGENT,
            retry_policy=self.retry_policy,
            per_retry_policies=[_RequestRecorder(self.requests)],
        )

    # -- calls -------------------------------------------------------------------------------

    def _operation(self, operation):
        group, method = operation.split(".")
        return getattr(getattr(self.pydo, group), method)

    def call(self, operation, *args, **kwargs):
        """Call a pydo operation (``"vpcs.get"``) and return its body; raise :class:`APIError` otherwise."""
        func = self._operation(operation)

        def capture(pipeline_response, deserialized, _headers):
            response = pipeline_response.http_response
            return response.status_code, deserialized, response.headers

        try:
            status, body, headers = func(*args, cls=capture, **kwargs)
        except HttpResponseError as exc:
            body = None
            try:
                body = exc.response.json() if exc.response is not None else None
            except Exception:  # pylint: disable=broad-except
                body = None
            status = exc.status_code
            if body is None:
                raise APIError(exc.message or str(exc), status=status, operation=operation,
                               ambiguous=status is None or status >= 500)
            raise error_from_body(body, status, operation=operation)
        except ServiceRequestError as exc:
            raise APIError("could not send the request: {0}".format(exc), operation=operation)
        except AzureError as exc:
            # The request left: it may have been applied.
            raise APIError("no answer to the request: {0}".format(exc), operation=operation, ambiguous=True)
        if status >= 400:
            raise error_from_body(body, status, operation=operation,
                                  request_id=headers.get("x-request-id") if headers else None)
        return body

    def get(self, operation, *args, **kwargs):
        """Like :meth:`call`, but ``None`` when the resource does not exist (404)."""
        try:
            return self.call(operation, *args, **kwargs)
        except APIError as exc:
            if exc.not_found:
                return None
            raise

    def write(self, operation, *args, **kwargs):
        """A state-changing call: sent, or in check mode recorded as planned and not sent."""
        if self.check_mode:
            self.planned.append(self.describe(operation, *args, **kwargs))
            return None
        return self.call(operation, *args, **kwargs)

    def delete(self, operation, *args, **kwargs):
        """A delete that treats "already gone" (404) as done. Returns True when something was deleted."""
        try:
            self.write(operation, *args, **kwargs)
        except APIError as exc:
            if exc.not_found:
                return False
            raise
        return True

    def paginate(self, operation, key, *args, **kwargs):
        """All items of a paginated list, following ``links.pages.next`` with ``per_page=200``."""
        items = []
        page = 1
        while True:
            body = self.call(operation, *args, per_page=200, page=page, **kwargs) or {}
            items.extend(body.get(key) or [])
            next_url = ((body.get("links") or {}).get("pages") or {}).get("next")
            if not next_url:
                return items
            next_page = parse_qs(urlsplit(next_url).query).get("page")
            if not next_page or int(next_page[0]) <= page:
                return items
            page = int(next_page[0])

    # -- reporting ---------------------------------------------------------------------------

    @staticmethod
    def describe(operation, *args, **kwargs):
        """``"METHOD /path"`` for a pydo operation, from pydo's own request builder."""
        group, method = operation.split(".")
        if pydo_import_error():
            return operation
        builder = getattr(pydo_operations, "build_{0}_{1}_request".format(group, method), None)
        if builder is None:
            return operation
        try:
            request = builder(*args, **{k: v for k, v in kwargs.items() if k != "body"})
        except TypeError:
            return operation
        return "{0} {1}".format(request.method, urlsplit(request.url).path)

    @property
    def writes(self):
        """Write requests sent ("METHOD /path status"), or planned in check mode ("METHOD /path")."""
        sent = ["{0} {1} {2}".format(m, p, s) for m, p, s in self.requests if is_write(m, p)]
        return sent + list(self.planned)


def client_from_params(params, check_mode=False):
    """Build a :class:`DOClient` from a module's parameters (see ``DO_ARGUMENT_SPEC``)."""
    return DOClient(
        params.get("token"),
        api_endpoint=params.get("api_endpoint"),
        ca_bundle=params.get("ca_bundle"),
        api_timeout=params.get("api_timeout") or 300,
        check_mode=check_mode,
    )
