# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection secrets never reach ansible-playbook -vvv output, yet reach the registered variable."""

import json
import sys

import pytest

pytestmark = pytest.mark.sandbox

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/appplatform.n8n.digitalocean: {{}}
  tasks:
    - name: Cluster
      appplatform.n8n.database_cluster:
        name: secrets-db
        engine: pg
        region: fra1
        size: db-s-1vcpu-1gb
    - name: User
      appplatform.n8n.database_user:
        cluster: secrets-db
        name: secrets_user
        return_credentials: true
      register: user
    - name: Info without details
      appplatform.n8n.database_cluster_info:
        name: secrets-db
    - name: Info with details
      appplatform.n8n.database_cluster_info:
        name: secrets-db
        connection_details: true
      register: info
    - name: The registered variables hold the secrets
      ansible.builtin.copy:
        dest: {out}
        mode: "0600"
        content: "{{{{ {{'password': info.databases[0].connection.password, 'uri': info.databases[0].connection.uri,
                   'ca': info.databases[0].ca_certificate, 'user_password': user.user.password}} | to_json }}}}"
      no_log: true
"""


def test_no_secret_in_vvv_output_but_in_registered_result(playbook, sandbox, emulator, tmp_path):
    out = tmp_path / "secrets.json"
    proc = playbook(PLAY.format(out=out), "-vvv", "-e", "ansible_python_interpreter=" + sys.executable)
    secrets = json.loads(out.read_text())
    assert secrets["password"] and secrets["uri"].startswith("postgresql://")
    assert secrets["ca"].startswith("-----BEGIN CERTIFICATE-----") and secrets["user_password"]
    text = proc.stdout + proc.stderr
    assert "Info with details" in text and "censored" in text
    for name, value in secrets.items():
        if name == "ca":
            body = "".join(value.strip().splitlines()[1:-1])
            assert body[:40] not in text.replace("\n", ""), "CA material in output"
        else:
            assert value not in text, "{0} leaked into -vvv output".format(name)
    assert "PRIVATE KEY" not in text
    admin_password = sandbox.emulator.services["postgres"]["password"]
    assert admin_password not in text and admin_password not in out.read_text()
