# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract checks: every request and response validated against DigitalOcean's OpenAPI spec.

The spec is ``../shared/reference/do-openapi.json`` beside the repository (or ``$DO_OPENAPI_SPEC``).
Without it the checks are skipped, and :data:`SKIP_MESSAGE` says so once.
"""

import json
import os
import threading

HOST = "https://api.digitalocean.com"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SKIP_MESSAGE = ("contract checks skipped: DigitalOcean's OpenAPI spec was not found (set DO_OPENAPI_SPEC or put "
                "shared/reference/do-openapi.json beside the repository)")


def spec_path():
    env = os.environ.get("DO_OPENAPI_SPEC")
    if env:
        return env if os.path.exists(env) else None
    path = os.path.join(REPO_ROOT, "..", "shared", "reference", "do-openapi.json")
    return os.path.abspath(path) if os.path.exists(path) else None


class Contract:
    """Validates exchanges with openapi-core; ``enabled`` is False when there is no spec."""

    _cache = {}
    _lock = threading.Lock()

    def __init__(self, path=None):
        self.path = path or spec_path()
        self.enabled = self.path is not None
        self.api = None
        if self.enabled:
            self.api = self._load(self.path)

    @classmethod
    def _load(cls, path):
        with cls._lock:
            if path not in cls._cache:
                from openapi_core import Config, OpenAPI

                with open(path, encoding="utf-8") as handle:
                    spec = json.load(handle)
                cls._cache[path] = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
            return cls._cache[path]

    @staticmethod
    def _request(method, path, query, headers, body):
        from openapi_core.testing import MockRequest

        data = json.dumps(body).encode() if body is not None else None
        return MockRequest(HOST, method.lower(), path, args=query, headers=headers, data=data,
                           content_type="application/json")

    def check_request(self, method, path, query, headers, body):
        """``None`` when valid, else the violation text."""
        if not self.enabled:
            return None
        try:
            self.api.validate_request(self._request(method, path, query, headers, body))
        except Exception as exc:  # openapi-core raises a family of validation errors
            return describe(exc)
        return None

    def check_response(self, method, path, query, headers, body, status, response_headers, raw):
        if not self.enabled:
            return None
        from openapi_core.testing import MockResponse

        request = self._request(method, path, query, headers, body)
        response = MockResponse(raw or b"", status_code=status, headers=response_headers,
                                content_type="application/json" if raw else None)
        try:
            self.api.validate_response(request, response)
        except Exception as exc:
            return describe(exc)
        return None


def describe(exc):
    parts = [type(exc).__name__ + ": " + str(exc)]
    cause = exc.__cause__ or exc.__context__
    seen = 0
    while cause is not None and seen < 4:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts.extend(str(getattr(e, "message", e)) for e in list(details)[:5])
        else:
            parts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return " | ".join(p for p in parts if p)[:2000]
