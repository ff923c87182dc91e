# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin base for modules that return secrets on request.

Private to the appplatform.n8n collection: it may change at any time.

A module cannot mark its own result ``no_log`` (Ansible strips ``_ansible_*`` keys from module
returns), and masking the values with ``no_log_values`` would mask them in the registered variable
too. So the module reports ``contains_secrets: true`` and this action plugin, which runs the module
unchanged, sets ``_ansible_no_log`` on the result: callbacks (any verbosity, ``-vvv`` included) show
it censored, while ``register`` still receives every value.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class SecretResultAction(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars))
        if result.get("contains_secrets"):
            result["_ansible_no_log"] = True
        return result
