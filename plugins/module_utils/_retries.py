# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one retry policy.

Private to the appplatform.n8n collection: it may change at any time.

pydo uses azure-core's default policy: up to 10 attempts over minutes, and POST/PATCH retried
on 500/503/504 (a create can be applied twice). This policy, built on azure-core's own
``RetryPolicy``:

* retries idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) on 408/429/5xx and on network
  errors, with capped exponential backoff and full jitter;
* retries every method on 429 (a rate-limited request was not applied) and on errors raised
  before the request was sent (connection refused, DNS);
* never retries POST/PATCH after the request may have reached the server (5xx, read timeout):
  the caller gets an ambiguous :class:`APIError` and, for creates, looks the resource up by
  name before trying again (:func:`create_once`);
* honours ``Retry-After`` and, on 429 with ``ratelimit-remaining: 0``, ``ratelimit-reset``;
* stops at a total deadline, whatever the attempt count.
"""

from __future__ import annotations

import random
import time

from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError

try:
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline.policies import RetryPolicy
except ImportError:  # pragma: no cover - reported by the client builder through missing_required_lib
    RetryPolicy = object
    ServiceRequestError = Exception

IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])
RETRY_STATUS = frozenset([408, 429, 500, 502, 503, 504])

DEFAULT_RETRIES = 8
DEFAULT_DEADLINE = 300.0
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 8.0


def backoff_delay(attempt, base=DEFAULT_BACKOFF_BASE, cap=DEFAULT_BACKOFF_CAP, rng=random.random):
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt)]."""
    return rng() * min(cap, base * (2 ** attempt))


def rate_limit_delay(headers, now=None):
    """Seconds the server asks us to wait, from ``Retry-After`` or an exhausted rate limit."""
    if headers is None:
        return None
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    remaining = headers.get("ratelimit-remaining")
    reset = headers.get("ratelimit-reset")
    if remaining is not None and reset and str(remaining).strip() == "0":
        try:
            return max(0.0, float(reset) - (now if now is not None else time.time()))
        except ValueError:
            return None
    return None


class AppPlatformRetryPolicy(RetryPolicy):
    """azure-core retry policy that never repeats a request that may have been applied."""

    def __init__(self, retries=DEFAULT_RETRIES, deadline=DEFAULT_DEADLINE, backoff_base=DEFAULT_BACKOFF_BASE,
                 backoff_cap=DEFAULT_BACKOFF_CAP, **kwargs):
        kwargs.setdefault("retry_total", retries)
        kwargs.setdefault("retry_connect", retries)
        kwargs.setdefault("retry_read", retries)
        kwargs.setdefault("retry_status", retries)
        kwargs.setdefault("timeout", deadline)
        super().__init__(**kwargs)
        self.deadline = deadline
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_log = []

    def configure_retries(self, options):
        settings = super().configure_retries(options)
        settings["deadline_at"] = time.monotonic() + self.deadline
        return settings

    def _is_method_retryable(self, settings, request, response=None):
        method = request.method.upper()
        if response is None:
            # Decided per error in increment(): a request that never left is always safe.
            return True
        if response.status_code == 429:
            return True
        return method in IDEMPOTENT_METHODS

    def is_retry(self, settings, response):
        status = response.http_response.status_code
        if status < 400 or status not in RETRY_STATUS:
            return False
        if not self._is_method_retryable(settings, response.http_request, response=response.http_response):
            return False
        return settings["total"] > 0

    def increment(self, settings, response=None, error=None):
        if error is not None:
            request = getattr(response, "http_request", None)
            method = request.method.upper() if request is not None else "GET"
            sent = not isinstance(error, ServiceRequestError)
            if sent and method not in IDEMPOTENT_METHODS:
                return False
        if time.monotonic() >= settings["deadline_at"]:
            return False
        return super().increment(settings, response=response, error=error)

    def sleep(self, settings, transport, response=None):
        delay = None
        if response is not None:
            delay = rate_limit_delay(response.http_response.headers)
        if delay is None:
            delay = backoff_delay(len(settings["history"]) - 1, self.backoff_base, self.backoff_cap)
        remaining = settings["deadline_at"] - time.monotonic()
        delay = max(0.0, min(delay, remaining))
        status = response.http_response.status_code if response is not None else None
        self.retry_log.append({"status": status, "delay": round(delay, 3)})
        if delay > 0:
            transport.sleep(delay)


def create_once(create, lookup, attempts=3, sleep=time.sleep):
    """Create a resource without ever creating it twice.

    ``create()`` sends the POST; ``lookup()`` returns the resource if it exists (by its unique
    name) or ``None``. When a create fails ambiguously (5xx, connection lost after sending) the
    resource may exist: look it up first, and only when it is absent try again. Returns
    ``(resource, created_by_retry_lookup)``.
    """
    last = None
    for attempt in range(attempts):
        try:
            return create(), False
        except APIError as exc:
            if not exc.ambiguous:
                raise
            last = exc
        found = lookup()
        if found is not None:
            return found, True
        sleep(backoff_delay(attempt))
    raise last
