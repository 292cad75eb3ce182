"""bench/chatrelay_bench.py - a chatrelay instance configured for benchmarks.

Writes a bench config (temp data dir, free loopback ports, enforce_e2ee =
no, dkim_verify = no as SPEC section 20 says, relaxed username lengths,
connection limits raised for the idle-session test), starts the release
binary with a raised RLIMIT_NOFILE, waits for its listeners, and creates the bench
accounts user1..userN@example.org with `chatrelay account add` (CLI-4); when
that command does not exist yet it falls back to JIT accounts (the first
LOGIN creates the account, AUTH-3). Stops the server with SIGTERM.
Domain, listen address, config overrides and [routes] are parameters, so
the federation pair (fed_bench.py) and the Delta Chat row reuse it.
Must not: bind anything but a loopback address, leave the server running.
"""
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from chatrelay_server import free_ports  # noqa: E402  the tests' port picker

DOMAIN = "example.org"


class ChatrelayInstance:
    def __init__(self, binary, keep=False, idle_max=10000, users=100, password="benchpass",
                 domain=DOMAIN, host="127.0.0.1", params=None, routes=None, name="chatrelay"):
        self.bin = os.path.abspath(binary)
        self.keep = keep
        self.idle_max = idle_max
        self.users = users
        self.password = password
        self.domain = domain
        self.host = host
        self.extra = dict(params or {})  # overrides of the bench config
        self.routes = dict(routes or {})  # [routes] (CONF-10)
        self.name = name
        self.proc = None
        self.dir = None
        self.accounts_note = "not started"
        self.accounts_jit = False
        self.ports = {}

    def config_text(self):
        p = {
            "mail_domain": self.domain,
            "data_dir": os.path.join(self.dir, "data"),
            "listen_address": self.host,
            "log_level": "warn",
            "no_log": "yes",
            "enforce_e2ee": "no",
            "dkim_verify": "no",
            "dkim_sign": "no",
            "push": "no",
            "username_min_length": "1",
            "username_max_length": "64",
            "password_min_length": "9",
            "jit_accounts": "yes",
            "max_imap_connections": str(self.idle_max + 5000),
            "max_imap_connections_per_account": str(min(100000, self.idle_max + 100)),
            "max_smtp_connections": "1000",
            **{k: str(v) for k, v in self.ports.items()},
        }
        if os.geteuid() == 0:
            p["user"] = "nobody"
        p.update({k: str(v) for k, v in self.extra.items()})
        text = "[params]\n" + "".join(f"{k} = {v}\n" for k, v in p.items())
        if self.routes:
            text += "[routes]\n" + "".join(f"{k} = {v}\n" for k, v in self.routes.items())
        return text

    def prepare(self):
        """Temp dir and free ports (known before start, e.g. for a peer's routes)."""
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="chatrelay-bench-")
            os.chmod(self.dir, 0o755)
            keys = ("smtp_port", "submission_port", "submissions_port", "imap_port",
                    "imaps_port", "http_port")
            self.ports.update(zip(keys, free_ports(len(keys), self.host)))
        return self

    def write_config(self):
        self.cfg = os.path.join(self.dir, "chatrelay.ini")
        with open(self.cfg, "w") as f:
            f.write(self.config_text())
        os.chmod(self.cfg, 0o644)

    def start(self, password_hash=None, accounts=True):
        if not os.access(self.bin, os.X_OK):
            raise FileNotFoundError(f"chatrelay binary not found: {self.bin} (run make)")
        self.prepare()
        self.write_config()
        self.log_path = os.path.join(self.dir, "chatrelay.log")
        want = self.idle_max + 10000

        def raise_limit():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
            except (ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "-c", self.cfg], stdout=self.log_file,
                                     stderr=self.log_file, stdin=subprocess.DEVNULL,
                                     cwd=self.dir, preexec_fn=raise_limit)
        # log_level = warn hides the "ready" line: wait for the listeners.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.listening():
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"chatrelay exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"chatrelay not ready after 20 s:\n{self.log()}")
        if accounts:
            self.create_accounts(password_hash)

    def listening(self):
        for k in ("smtp_port", "imap_port", "imaps_port"):  # all listeners start together
            if not self.port(k):
                continue
            try:
                socket.create_connection((self.host, self.port(k)), 0.5).close()
            except OSError:
                return False
        return True

    def create_accounts(self, password_hash):
        """CLI-4 with the reference's SHA512-CRYPT hash (same verification
        cost as Dovecot's passwd-file); else JIT at the first LOGIN."""
        for i in range(1, self.users + 1):
            addr = f"user{i}@{self.domain}"
            opt = ["--hash", password_hash] if password_hash else ["--password", self.password]
            r = subprocess.run([self.bin, "account", "add", addr, *opt, "-c", self.cfg],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=60)
            if r.returncode != 0:
                first = (r.stdout.strip().splitlines() or ["?"])[0]
                if i == 1:
                    self.accounts_jit = True
                    self.accounts_note = (f"`chatrelay account add` failed ({first}); "
                                          f"JIT accounts (username_min_length = 1)")
                else:
                    self.accounts_note = f"`account add` failed at {addr}: {first}"
                return
        kind = "SHA512-CRYPT hash" if password_hash else "password"
        self.accounts_note = f"{self.users} accounts created with `account add` ({kind})"

    def port(self, key):
        """The port in force (a params override such as http_port = 0 wins)."""
        return int(self.extra.get(key, self.ports.get(key, 0)))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def target(self):
        pid = self.proc.pid
        return dict(name=self.name, host=self.host, smtp_port=self.port("smtp_port"),
                    submission_port=self.port("submission_port"),
                    imap_port=self.port("imap_port"), imaps_port=self.port("imaps_port"),
                    http_port=self.port("http_port"),
                    domain=self.domain, users=self.users, password=self.password,
                    mail_root=os.path.join(self.dir, "data", "mail"), pids=lambda: [pid])

    def stop(self, remove=True):
        """SIGTERM and wait; remove the temp dir unless keep (or remove=False:
        a restart with another config follows)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and not self.log_file.closed:
            self.log_file.close()
        if remove and self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
