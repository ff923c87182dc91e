# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throwaway TLS-only PostgreSQL 15 and Redis on loopback, with a sandbox CA, for real n8n.

    ca = SandboxCA.create(tmp / "ca")
    pg = PostgresServer(tmp / "pg", ca).start()      # ssl=on, hostssl only, password auth
    pg.create_database("n8n", "n8n", "secret")
    rd = RedisServer(tmp / "redis", ca, password="...").start()   # --port 0 --tls-port P
    ...
    rd.stop(); pg.stop()

Needs the ``cryptography`` package, Debian's postgresql-15 (/usr/lib/postgresql/15/bin)
and redis-server (7.x, built with TLS).  As root, PostgreSQL runs as the ``postgres`` user.
"""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("APPPLATFORM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_tcp(host: str, port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None,
             what: str = "") -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what or 'process'} exited rc={proc.returncode} before {host}:{port} listened")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what or host}:{port} did not listen within {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


@dataclass
class SandboxCA:
    """A self-signed CA and one server certificate for 127.0.0.1 / localhost."""
    dir: Path
    ca_cert: Path = field(init=False)
    server_cert: Path = field(init=False)
    server_key: Path = field(init=False)

    def __post_init__(self):
        self.ca_cert = self.dir / "ca.crt"
        self.server_cert = self.dir / "server.crt"
        self.server_key = self.dir / "server.key"

    @classmethod
    def create(cls, d: Path, names=("localhost",), ips=("127.0.0.1",)) -> "SandboxCA":
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        d = Path(d)
        d.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appplatform-n8n sandbox CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False,
                                           encipher_only=False, decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(san), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self = cls(d)
        self.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.server_key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                                      serialization.NoEncryption()))
        os.chmod(self.server_key, 0o600)
        return self

    @property
    def ca_pem(self) -> str:
        return self.ca_cert.read_text()


def _as_postgres() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    """PostgreSQL from Debian's binaries: own data dir, TLS on, only hostssl connections, scram auth."""
    dir: Path
    ca: SandboxCA
    port: int = 0
    superuser: str = "postgres"
    proc: subprocess.Popen | None = None

    def start(self) -> "PostgresServer":
        self.dir = Path(self.dir)
        data = self.dir / "data"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        # the server key must belong to the server's user and be 0600
        shutil.copy(self.ca.server_cert, self.dir / "server.crt")
        shutil.copy(self.ca.server_key, self.dir / "server.key")
        os.chmod(self.dir / "server.key", 0o600)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for p in (self.dir / "server.crt", self.dir / "server.key"):
                shutil.chown(p, "postgres", "postgres")
        subprocess.run(_as_postgres() + [str(PG_BIN / "initdb"), "-D", str(data), "-U", self.superuser,
                                         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                                         "--locale=C.UTF-8"],
                       check=True, capture_output=True, text=True)
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n")
        with open(data / "postgresql.conf", "a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nssl = on\n"
                    f"ssl_cert_file = '{self.dir / 'server.crt'}'\nssl_key_file = '{self.dir / 'server.key'}'\n"
                    f"unix_socket_directories = '{self.dir}'\nmax_connections = 100\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\n")
        self.log = self.dir / "postgres.log"
        logf = open(self.log, "ab")
        if os.geteuid() == 0:
            shutil.chown(self.log, "postgres", "postgres")
        self.proc = subprocess.Popen(_as_postgres() + [str(PG_BIN / "postgres"), "-D", str(data)],
                                     stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        wait_tcp("127.0.0.1", self.port, 30, self.proc, "postgres")
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while subprocess.run([str(PG_BIN / "pg_isready"), "-h", str(self.dir), "-p", str(self.port)],
                             capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("postgres not ready: " + self.log.read_text()[-2000:])
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def psql(self, sql: str, db: str = "postgres") -> str:
        r = subprocess.run(_as_postgres() + [str(PG_BIN.parent / "bin" / "psql"), "-h", str(self.dir), "-p",
                                             str(self.port), "-U", self.superuser, "-d", db, "-v",
                                             "ON_ERROR_STOP=1", "-Atc", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr}")
        return r.stdout

    def create_database(self, name: str, user: str, password: str) -> None:
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'").strip():
            self.psql(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE \"{name}\" OWNER \"{user}\"")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            subprocess.run(_as_postgres() + [str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                                             "-w", "-t", "30", "stop"], capture_output=True)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class RedisServer:
    """redis-server with the plain port off and TLS on a free loopback port; optional password."""
    dir: Path
    ca: SandboxCA
    password: str | None = None
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.dir = Path(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.log = self.dir / "redis.log"
        argv = ["redis-server", "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
                "--tls-cert-file", str(self.ca.server_cert), "--tls-key-file", str(self.ca.server_key),
                "--tls-ca-cert-file", str(self.ca.ca_cert), "--tls-auth-clients", "no",
                "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--logfile", str(self.log)]
        if self.password:
            argv += ["--requirepass", self.password]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_tcp("127.0.0.1", self.port, 30, self.proc, "redis")
        return self

    def client(self):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, ssl=True,
                           ssl_ca_certs=str(self.ca.ca_cert), ssl_cert_reqs="required")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
