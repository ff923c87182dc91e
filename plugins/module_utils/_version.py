# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collection version, sent in the User-Agent. Private to appplatform.n8n; may change at any time."""

from __future__ import annotations

COLLECTION_NAME = "appplatform.n8n"
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "{0}/{1}".format(COLLECTION_NAME, COLLECTION_VERSION)
