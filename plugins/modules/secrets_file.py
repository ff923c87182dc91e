#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: secrets_file
short_description: Keep generated secrets (such as n8n's encryption key) in a private file, generated once
version_added: 0.1.0
description:
  - Makes sure a YAML file holds a value for each secret in O(names). A missing value is generated with the
    operating system's CSPRNG (32 random bytes, hex-encoded); an existing value is never changed unless it is
    listed in O(rotate).
  - The file and its directory are created with modes 0600 and 0700, and rewritten atomically.
  - When a vault password is configured (C(--ask-vault-pass), C(--vault-password-file), C(--vault-id) or
    C(vault_password_file) in C(ansible.cfg)) the file is an Ansible Vault file (see O(vault)); C(ansible-vault view)
    shows it. A plain file is encrypted in place on the first run that has a vault password.
  - The file is on the Ansible controller (the operator's machine), whatever the play's hosts.
  - Losing n8n's encryption key makes every stored credential unreadable. Back the file up as soon as it is
    created.
  - Values must be strings (quote numbers and booleans in the file).
  - The result holds the secret values; it is always shown censored, and C(register) receives the values.
author:
  - appplatform.n8n maintainers (@appplatform)
options:
  path:
    description: The secrets file.
    type: path
    required: true
  names:
    description: Secret names the file must hold, for example V(N8N_ENCRYPTION_KEY).
    type: list
    elements: str
    required: true
  values:
    description:
      - Values to store instead of generating them, for secrets made elsewhere (for example a Spaces secret key,
        which DigitalOcean shows only once). Like generated ones, they are stored only when the name is missing
        from the file or listed in O(rotate).
    type: dict
  rotate:
    description: Names whose value is replaced (by a new random one, or by its entry in O(values)). Only with a deliberate rotation.
    type: list
    elements: str
    default: []
  nbytes:
    description: Random bytes per generated secret.
    type: int
    default: 32
  generate_missing:
    description:
      - Names that may get a generated value when the file lacks them. By default every name in O(names) may.
      - With a list, any other missing name fails the task before anything is written, with the names in
        RV(missing). For example when the app that uses the secrets already exists, so a new value would differ
        from what it runs with.
    type: list
    elements: str
  vault:
    description:
      - V(auto) encrypts the file with Ansible Vault when a vault password is configured, and writes it plain
        (mode 0600) otherwise.
      - V(always) fails before writing when no vault password is configured.
      - V(never) always writes plain YAML (mode 0600), decrypting a vault-encrypted file on its next write.
      - A rewritten vault file keeps the vault id it was encrypted with, unless O(vault_id) says otherwise.
      - Reading a vault-encrypted file always needs the vault password.
    type: str
    choices: [auto, always, never]
    default: auto
  vault_id:
    description:
      - The vault id (label) to encrypt with when several are configured (C(--vault-id label@source)). By default the
        first configured secret is used, as C(ansible-vault encrypt) does.
    type: str
attributes:
  action:
    support: full
    description: Runs as an action plugin on the controller.
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode, values that would be generated are returned as placeholders, never written.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: partial
    details: The diff lists secret names and whether the file is vault-encrypted, never values.
"""

EXAMPLES = r"""
- name: The n8n encryption key and runner token, generated once
  appplatform.n8n.secrets_file:
    path: "~/.appplatform-n8n/n8n-prod.secrets.yml"
    names: [N8N_ENCRYPTION_KEY, N8N_RUNNERS_AUTH_TOKEN]
  register: n8n_secrets

- name: The same, always in Ansible Vault (run with --ask-vault-pass or --vault-password-file)
  appplatform.n8n.secrets_file:
    path: "~/.appplatform-n8n/n8n-prod.secrets.vault.yml"
    names: [N8N_ENCRYPTION_KEY, N8N_RUNNERS_AUTH_TOKEN]
    vault: always
  register: n8n_secrets
"""

RETURN = r"""
secrets:
  description: Name to value, for every name in O(names). Register the result and pass the values on; it is shown censored.
  returned: success
  type: dict
generated:
  description: Names whose value was generated, stored from O(values), or replaced in this run.
  returned: success
  type: list
  elements: str
existed:
  description: Whether the file existed before this run.
  returned: success
  type: bool
vault:
  description: Whether the file is (or, in check mode, would be) encrypted with Ansible Vault.
  returned: success
  type: bool
missing:
  description: Names the file lacks that O(generate_missing) does not allow to generate (the task failed).
  returned: failure
  type: list
  elements: str
path:
  description: The file's absolute path.
  returned: success
  type: str
"""
