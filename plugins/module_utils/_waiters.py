# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one waiter.

Private to the appplatform.n8n collection: it may change at any time.

:func:`wait_for` polls with capped exponential backoff until a predicate holds, and returns as
soon as it does; it never sleeps a fixed long time. The cap bounds how late we notice a state
change (the lag), the timeout bounds the whole wait.
"""

from __future__ import annotations

import time

from ansible_collections.appplatform.n8n.plugins.module_utils._errors import WaitTimeout

DEFAULT_FIRST_DELAY = 0.25
DEFAULT_FACTOR = 1.5
DEFAULT_MAX_DELAY = 1.5


class WaitResult:
    """What a wait returns: the last value polled, the number of polls and the time spent."""

    def __init__(self, value, polls, elapsed):
        self.value = value
        self.polls = polls
        self.elapsed = elapsed


def wait_for(poll, done, timeout, failed=None, describe="the resource", first_delay=DEFAULT_FIRST_DELAY,
             factor=DEFAULT_FACTOR, max_delay=DEFAULT_MAX_DELAY, clock=time.monotonic, sleep=time.sleep):
    """Call ``poll()`` until ``done(value)``; return a :class:`WaitResult`.

    ``failed(value)`` may return a message to stop early (a terminal error state): it raises
    :class:`WaitTimeout` with that message and the last value. On timeout, :class:`WaitTimeout`.
    """
    start = clock()
    deadline = start + timeout
    delay = first_delay
    polls = 0
    while True:
        value = poll()
        polls += 1
        if done(value):
            return WaitResult(value, polls, clock() - start)
        if failed is not None:
            message = failed(value)
            if message:
                raise WaitTimeout(message, last=value)
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout("timed out after {0:.0f} s waiting for {1}".format(timeout, describe), last=value)
        sleep(min(delay, remaining))
        delay = min(max_delay, delay * factor)
