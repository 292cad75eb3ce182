"""bench/chatrelay_bench.py - a chatrelay instance configured for benchmarks.

Writes a bench config (temp data dir, free loopback ports, enforce_e2ee =
no, dkim_verify = no as SPEC section 20 says, relaxed username lengths,
connection limits raised for the idle-session test), starts the release
binary with a raised RLIMIT_NOFILE, waits for its listeners, and creates the bench
accounts user1..userN@example.org with `chatrelay account add` (CLI-4); when
that command does not exist yet it falls back to JIT accounts (the first
LOGIN creates the account, AUTH-3). Stops the server with SIGTERM.
Must not: bind anything but 127.0.0.1, leave the server running.
"""
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DOMAIN = "example.org"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChatrelayInstance:
    def __init__(self, binary, keep=False, idle_max=10000, users=100, password="benchpass"):
        self.bin = os.path.abspath(binary)
        self.keep = keep
        self.idle_max = idle_max
        self.users = users
        self.password = password
        self.proc = None
        self.dir = None
        self.accounts_note = "not started"
        self.accounts_jit = False
        self.ports = {}

    def config_text(self):
        p = {
            "mail_domain": DOMAIN,
            "data_dir": os.path.join(self.dir, "data"),
            "listen_address": "127.0.0.1",
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
        return "[params]\n" + "".join(f"{k} = {v}\n" for k, v in p.items())

    def start(self, password_hash=None):
        if not os.access(self.bin, os.X_OK):
            raise FileNotFoundError(f"chatrelay binary not found: {self.bin} (run make)")
        self.dir = tempfile.mkdtemp(prefix="chatrelay-bench-")
        os.chmod(self.dir, 0o755)
        for k in ("smtp_port", "submission_port", "submissions_port", "imap_port",
                  "imaps_port", "http_port"):
            self.ports[k] = free_port()
        self.cfg = os.path.join(self.dir, "chatrelay.ini")
        with open(self.cfg, "w") as f:
            f.write(self.config_text())
        os.chmod(self.cfg, 0o644)
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
        self.create_accounts(password_hash)

    def listening(self):
        for k in ("smtp_port", "imap_port", "imaps_port"):
            try:
                socket.create_connection(("127.0.0.1", self.ports[k]), 0.5).close()
            except OSError:
                return False
        return True

    def create_accounts(self, password_hash):
        """CLI-4 with the reference's SHA512-CRYPT hash (same verification
        cost as Dovecot's passwd-file); else JIT at the first LOGIN."""
        for i in range(1, self.users + 1):
            addr = f"user{i}@{DOMAIN}"
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

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def target(self):
        pid = self.proc.pid
        return dict(name="chatrelay", host="127.0.0.1", smtp_port=self.ports["smtp_port"],
                    imap_port=self.ports["imap_port"], imaps_port=self.ports["imaps_port"],
                    domain=DOMAIN, users=self.users, password=self.password,
                    mail_root=os.path.join(self.dir, "data", "mail"), pids=lambda: [pid])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log_file.close()
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
