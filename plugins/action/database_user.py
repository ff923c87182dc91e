# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the database_user module; a result with requested secrets is shown censored (see _secret_result)."""

from __future__ import annotations

from ansible_collections.appplatform.n8n.plugins.plugin_utils._secret_result import SecretResultAction


class ActionModule(SecretResultAction):
    pass
