# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""secrets_file runs on the controller: the file is the operator's, and Ansible Vault secrets
(--ask-vault-pass, --vault-password-file, --vault-id) are only known there."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _secrets_store as store

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    names=dict(type="list", elements="str", required=True),
    values=dict(type="dict", no_log=True),
    rotate=dict(type="list", elements="str", default=[], no_log=False),
    nbytes=dict(type="int", default=32),
    vault=dict(type="str", default="auto", choices=list(store.VAULT_CHOICES)),
    vault_id=dict(type="str", no_log=False),
    generate_missing=dict(type="list", elements="str", no_log=False),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        path = os.path.abspath(os.path.expanduser(args["path"]))
        unknown = sorted(set(args["rotate"]) - set(args["names"]))
        if unknown:
            raise AnsibleActionFail("rotate lists names not in names: {0}".format(", ".join(unknown)))
        if args["nbytes"] < 16:
            raise AnsibleActionFail("nbytes must be at least 16")
        vault_secrets = getattr(getattr(self._loader, "_vault", None), "secrets", None) or []
        check_mode = self._task.check_mode
        try:
            store.check_vault_id(vault_secrets, args["vault_id"])
            current, used = store.read(path, vault_secrets)
            was_encrypted = used is not None
            encrypt = store.want_encrypted(args["vault"], vault_secrets, path)
            data, generated = store.merge(current, args["names"], args["values"] or {}, args["rotate"],
                                          args["nbytes"], check_mode, args["generate_missing"])
            existed = current is not None
            reformat = existed and was_encrypted != encrypt
            chmod = existed and not generated and not reformat and store.too_open(path)
            rewrite = bool(generated or reformat)
            if rewrite and not check_mode:
                store.write(path, store.render(data, vault_secrets if encrypt else None, args["vault_id"], used))
            elif chmod and not check_mode:
                os.chmod(path, 0o600)
        except store.MissingSecrets as exc:
            # a result, not an exception, so a role can tell this case apart (result.missing)
            return dict(result, failed=True, changed=False, path=path, missing=exc.names,
                        msg="{0}: {1}".format(path, exc))
        except (store.SecretsFileError, OSError) as exc:
            raise AnsibleActionFail(str(exc))
        result.update(
            changed=rewrite or chmod,
            generated=generated,
            existed=existed,
            path=path,
            vault=encrypt if rewrite else was_encrypted,
            secrets={name: data[str(name)] for name in args["names"]},
            # A successful result carries secret values: callbacks always show it censored, whatever
            # the task's no_log says, while register still gets the values. (Failures carry none, so
            # their message stays readable.)
            _ansible_no_log=True,
        )
        if self._task.diff:
            result["diff"] = dict(
                before={"names": sorted(current or {}), "vault": was_encrypted} if existed else {},
                after={"names": sorted(data), "vault": result["vault"]},
            )
        return result
