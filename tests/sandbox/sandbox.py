# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the whole sandbox: CA, DigitalOcean API emulator (HTTPS), moto S3, PostgreSQL, Redis.

Modules reach it only through settings (``DIGITALOCEAN_API_ENDPOINT``, ``DIGITALOCEAN_CA_BUNDLE``,
``SPACES_ENDPOINT``...), written to ``<state>/sandbox.env`` and returned by :meth:`Sandbox.env`.
"""

import json
import logging
import os
import secrets
import ssl
import tempfile
import threading

from werkzeug.serving import make_server

from .certs import CA
from .emulator import Emulator
from .services import S3, Postgres, Redis, free_port


class Sandbox:
    def __init__(self, state_dir=None, durations=None, postgres=True, redis=True, s3=True, spec=None, real_n8n=False):
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="appplatform-n8n-sandbox-")
        os.makedirs(self.state_dir, exist_ok=True)
        os.chmod(self.state_dir, 0o755)
        self.token = "dop_v1_sandbox_" + secrets.token_hex(24)
        self.want = {"postgres": postgres, "redis": redis, "s3": s3}
        self.real_n8n = real_n8n
        self.n8n = None  # the RealN8nDeployments hook when real_n8n
        self.emulator = Emulator(spec=spec, durations=durations, token=self.token)
        self.ca = None
        self.server = None
        self.thread = None
        self.api_port = None
        self.postgres = self.redis = self.s3 = None
        self.spaces_key = {"id": "SANDBOX" + secrets.token_hex(6).upper(), "secret": secrets.token_urlsafe(30)}

    @property
    def api_url(self):
        return "https://127.0.0.1:{0}".format(self.api_port)

    def start(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.ca = CA(os.path.join(self.state_dir, "ca"))
        cert, key = self.ca.issue("api")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.api_port = free_port()
        self.server = make_server("127.0.0.1", self.api_port, self.emulator, threaded=True, ssl_context=context)
        self.thread = threading.Thread(target=self.server.serve_forever, name="do-emulator", daemon=True)
        self.thread.start()
        self.emulator.base_url = self.api_url
        if self.want["s3"]:
            self.s3 = S3().start()
            self.emulator.services["s3"] = self.s3.info()
        if self.want["postgres"]:
            self.postgres = Postgres(os.path.join(self.state_dir, "postgres"), self.ca).start()
            self.emulator.services["postgres"] = dict(self.postgres.info(), ca=self.ca.pem, admin=self.postgres)
        if self.want["redis"]:
            self.redis = Redis(os.path.join(self.state_dir, "redis"), self.ca).start()
            self.emulator.services["redis"] = dict(self.redis.info(), ca=self.ca.pem)
        if self.real_n8n:
            self._install_real_n8n()
        self._write_env()
        return self

    def _install_real_n8n(self):
        """Deployments of n8n specs run the real n8n processes (tests/sandbox/n8n/deployments.py)."""
        from .n8n import runtime
        from .n8n.deployments import RealN8nDeployments

        install = runtime.find_install()
        if install is None:
            raise RuntimeError(runtime.missing_install_reason())
        self.n8n = RealN8nDeployments(install, self.state_dir, self.ca)
        self.emulator.hooks["deployment"] = self.n8n

    def env(self):
        env = {
            "DIGITALOCEAN_API_ENDPOINT": self.api_url,
            "DIGITALOCEAN_CA_BUNDLE": self.ca.cert_path,
            "DIGITALOCEAN_TOKEN": self.token,
            "SANDBOX_ADMIN_URL": self.api_url + "/_sandbox",
            "SANDBOX_STATE_DIR": self.state_dir,
        }
        if self.s3:
            env.update({"SPACES_ENDPOINT": self.s3.endpoint, "SPACES_ACCESS_KEY_ID": self.spaces_key["id"],
                        "SPACES_SECRET_ACCESS_KEY": self.spaces_key["secret"]})
        return env

    def _write_env(self):
        path = os.path.join(self.state_dir, "sandbox.env")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            for key, value in sorted(self.env().items()):
                handle.write("export {0}='{1}'\n".format(key, value))
        info = {"pid": os.getpid(), "env": self.env()}
        fd = os.open(os.path.join(self.state_dir, "sandbox.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle)

    def stop(self):
        if self.n8n is not None:
            try:
                self.n8n.shutdown()
            except Exception:  # keep stopping the rest
                pass
        for service in (self.redis, self.postgres, self.s3):
            if service is not None:
                try:
                    service.stop()
                except Exception:  # keep stopping the others
                    pass
        if self.server is not None:
            self.server.shutdown()
