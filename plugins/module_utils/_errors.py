# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One error type for every DigitalOcean API failure.

Private to the appplatform.n8n collection: it may change at any time.

pydo does not raise for many 4xx answers: for most operations it returns the error body
(``{"id": "not_found", "message": ..., "request_id": ...}``) as a plain dict. The client
turns every outcome into "a body", "not found" or an :class:`APIError`; modules fail through
:meth:`APIError.to_fail_kwargs`, so every failure carries the HTTP status, DigitalOcean's
error id, its message and the request id.
"""

from __future__ import annotations


class APIError(Exception):
    """A DigitalOcean API call that did not succeed."""

    def __init__(self, message, status=None, error_id=None, request_id=None, operation=None, ambiguous=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_id = error_id
        self.request_id = request_id
        self.operation = operation
        # True when the request may have been applied although no success answer came back
        # (a 5xx or a lost connection after the request was sent).
        self.ambiguous = ambiguous

    @property
    def not_found(self):
        return self.status == 404

    def __str__(self):
        parts = []
        if self.operation:
            parts.append(self.operation)
        if self.status is not None:
            parts.append("HTTP {0}".format(self.status))
        if self.error_id:
            parts.append(self.error_id)
        text = " ".join(parts)
        msg = "{0}: {1}".format(text, self.message) if text else self.message
        if self.request_id:
            msg += " (request_id {0})".format(self.request_id)
        return msg

    def to_fail_kwargs(self):
        """Keyword arguments for ``module.fail_json``."""
        return dict(
            msg="DigitalOcean API error: {0}".format(self),
            status_code=self.status,
            error_id=self.error_id,
            request_id=self.request_id,
            operation=self.operation,
        )


class OperationFailed(Exception):
    """The API answered, but what it carried out ended badly (a deployment in ERROR, ...).

    ``DOModule.run`` fails the task with the message and ``details`` as extra result keys."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class WaitTimeout(Exception):
    """A waiter gave up before its condition held."""

    def __init__(self, message, last=None):
        super().__init__(message)
        self.last = last


def error_from_body(body, status, operation=None, request_id=None):
    """Build an :class:`APIError` from a DigitalOcean error body (``{id, message, request_id}``)."""
    error_id = None
    message = None
    if isinstance(body, dict):
        error_id = body.get("id")
        message = body.get("message")
        request_id = body.get("request_id") or request_id
    if not message:
        message = "unexpected response" if body is None else str(body)[:500]
    return APIError(message, status=status, error_id=error_id, request_id=request_id, operation=operation,
                    ambiguous=status is not None and status >= 500)
