# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real servers on loopback: PostgreSQL and Redis (both TLS, sandbox CA) and moto's S3 server.

Like DigitalOcean's managed databases: PostgreSQL requires TLS for TCP logins (``hostssl``, no
``hostnossl``), Redis listens on a TLS port only.
"""

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, timeout=30.0, proc=None, log=None):
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = open(log).read()[-2000:] if log and os.path.exists(log) else ""
            raise RuntimeError("process exited with {0}: {1}".format(proc.returncode, tail))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(delay)
            delay = min(0.5, delay * 1.5)
    raise RuntimeError("port {0} did not open within {1} s".format(port, timeout))


def pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise RuntimeError("PostgreSQL server binaries not found: run `make setup` (installs Debian's postgresql)")


class Postgres:
    """An ephemeral PostgreSQL cluster run by the ``postgres`` system user (it refuses root)."""

    def __init__(self, directory, ca):
        self.directory = directory
        self.ca = ca
        self.port = free_port()
        self.host = "127.0.0.1"
        self.admin_user = "doadmin"
        self.admin_password = secrets.token_urlsafe(18)
        self.data = os.path.join(directory, "pgdata")
        self.log = os.path.join(directory, "postgres.log")
        self.proc = None

    def _as_postgres(self, argv, **kwargs):
        user = pwd.getpwnam("postgres")

        def demote():
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        if os.getuid() == 0:
            kwargs["preexec_fn"] = demote
        return argv, kwargs

    def start(self):
        user = pwd.getpwnam("postgres")
        os.makedirs(self.directory, exist_ok=True)
        os.chmod(self.directory, 0o755)
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data)
        os.chown(self.data, user.pw_uid, user.pw_gid)
        os.chmod(self.data, 0o700)
        pwfile = os.path.join(self.directory, "pw")
        with open(pwfile, "w") as handle:
            handle.write(self.admin_password)
        os.chown(pwfile, user.pw_uid, user.pw_gid)
        os.chmod(pwfile, 0o600)
        argv, kw = self._as_postgres([pg_bin("initdb"), "-D", self.data, "-U", self.admin_user, "--pwfile", pwfile,
                                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                                      "--no-instructions"])
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
        os.unlink(pwfile)
        if done.returncode != 0:
            raise RuntimeError("initdb failed: " + done.stderr[-2000:])
        cert, key = self.ca.issue("postgres", owner=(user.pw_uid, user.pw_gid))
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("\nlisten_addresses = '127.0.0.1'\nport = {0}\nunix_socket_directories = '{1}'\n"
                       "ssl = on\nssl_cert_file = '{2}'\nssl_key_file = '{3}'\nmax_connections = 200\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       .format(self.port, self.data, cert, key))
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as hba:
            hba.write("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
                      "hostnossl all all 0.0.0.0/0 reject\n")
        argv, kw = self._as_postgres([pg_bin("postgres"), "-D", self.data])
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kw)
        wait_port(self.port, proc=self.proc, log=self.log)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            result = subprocess.run([pg_bin("pg_isready"), "-h", self.data, "-p", str(self.port)],
                                    capture_output=True)
            if result.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not become ready")

    def psql(self, sql, database="postgres"):
        """Run SQL as the superuser over the local socket (sandbox-internal administration)."""
        argv, kw = self._as_postgres([pg_bin("psql"), "-h", self.data, "-p", str(self.port), "-U", self.admin_user,
                                      "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout

    def info(self):
        return {"host": self.host, "port": self.port, "user": self.admin_user, "password": self.admin_password,
                "database": "postgres", "socket_dir": self.data}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Redis:
    """An ephemeral Redis, TLS only, with a password for the ``default`` user (as managed Valkey)."""

    def __init__(self, directory, ca):
        self.directory = directory
        self.ca = ca
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user = "default"
        self.password = secrets.token_urlsafe(18)
        self.log = os.path.join(directory, "redis.log")
        self.proc = None

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        binary = shutil.which("redis-server") or shutil.which("valkey-server")
        if not binary:
            raise RuntimeError("redis-server not found: run `make setup` (installs Debian's redis-server)")
        cert, key = self.ca.issue("redis")
        conf = os.path.join(self.directory, "redis.conf")
        with open(conf, "w") as handle:
            os.chmod(conf, 0o600)
            handle.write("bind 127.0.0.1\nport 0\ntls-port {0}\ntls-cert-file {1}\ntls-key-file {2}\n"
                         "tls-ca-cert-file {3}\ntls-auth-clients no\nrequirepass {4}\nsave \"\"\nappendonly no\n"
                         "dir {5}\n".format(self.port, cert, key, self.ca.cert_path, self.password, self.directory))
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([binary, conf], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, proc=self.proc, log=self.log)
        return self

    def info(self):
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class S3:
    """moto's S3 server on loopback (path-style), standing in for Spaces."""

    def __init__(self):
        self.port = free_port()
        self.server = None
        self.endpoint = "http://127.0.0.1:{0}".format(self.port)

    def start(self):
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        wait_port(self.port)
        return self

    def info(self):
        return {"endpoint": self.endpoint}

    def stop(self):
        if self.server is not None:
            self.server.stop()
