# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every DigitalOcean module of the collection shares.

Private to the appplatform.n8n collection: it may change at any time.

:class:`DOModule` builds the ``AnsibleModule`` with the common options, the API client and the
result (``changed``, the resource under its own key, ``api_calls``, ``diff``), and has the one
failure path for API errors. A module is its argument spec plus its reconcile logic::

    m = DOModule(argument_spec, result_key="vpc")
    m.run(lambda: reconcile(m))   # reconcile calls m.mark_changed(), m.set_result(...)
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.appplatform.n8n.plugins.module_utils._client import (
    DO_ARGUMENT_SPEC,
    client_from_params,
    pydo_import_error,
)
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import Diff, redact
from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError, OperationFailed, WaitTimeout


class DOModule:
    """An Ansible module talking to the DigitalOcean API."""

    def __init__(self, argument_spec, result_key, needs_client=True, **module_kwargs):
        spec = dict(DO_ARGUMENT_SPEC)
        spec.update(argument_spec)
        module_kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.result_key = result_key
        self.result = {"changed": False, result_key: None}
        self.diff = Diff()
        self.client = None
        self.spaces = None  # a SpacesClient (module_utils._spaces) for modules that use the S3 API
        if needs_client:
            import_error = pydo_import_error()
            if import_error:
                self.module.fail_json(msg=missing_required_lib("pydo"), exception=import_error)
            if not self.params.get("token"):
                self.module.fail_json(msg="No DigitalOcean API token: set the token option or one of the "
                                          "DIGITALOCEAN_TOKEN, DIGITALOCEAN_ACCESS_TOKEN, DO_API_TOKEN variables.")
            self.client = client_from_params(self.params, check_mode=self.check_mode)

    # -- result ------------------------------------------------------------------------------

    def mark_changed(self):
        self.result["changed"] = True

    def set_result(self, value):
        self.result[self.result_key] = value

    def keep_out_of_logs(self):
        """The result carries secrets the user asked for: report ``contains_secrets: true``.

        The module's action plugin (``plugins/plugin_utils/_secret_result.py``) then marks the result
        ``no_log``: shown censored at every verbosity, complete in a registered variable. A module
        cannot do that itself (Ansible strips ``_ansible_*`` keys from module returns).
        """
        self.result["contains_secrets"] = True

    def _finish(self):
        recorders = [r for r in (self.client, self.spaces) if r is not None]
        if recorders:
            self.result["api_calls"] = [call for r in recorders for call in r.writes]
        if self.module._diff and (self.diff.before or self.diff.after):
            self.result["diff"] = self.diff.as_result()

    def fail(self, msg, **kwargs):
        self._finish()
        kwargs.update({k: v for k, v in self.result.items() if k in ("api_calls", "diff")})
        self.module.fail_json(msg=msg, **redact(kwargs))

    def exit(self):
        self._finish()
        self.module.exit_json(**self.result)

    def run(self, reconcile):
        """Run ``reconcile()``; API errors, failed operations and timeouts fail the task with their details."""
        try:
            reconcile()
        except APIError as exc:
            self.fail(**exc.to_fail_kwargs())
        except OperationFailed as exc:
            self.fail(str(exc), **exc.details)
        except WaitTimeout as exc:
            self.fail(str(exc))
        self.exit()
