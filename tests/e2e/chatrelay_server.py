"""Boot the real chatrelay binary on loopback with a temp data dir.

Used by every end-to-end test: ports are picked free at start, the config is
written as an INI file, stderr goes to a log file the tests can read, and
`ready` is awaited before the test talks to the server. When the tests run
as root (CI), the server runs with `user = nobody` (GEN-3).
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("CHATRELAY_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "asan", "chatrelay")

PORT_KEYS = ("smtp_port", "submission_port", "submissions_port",
             "imap_port", "imaps_port", "http_port")


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_ports(count, host="127.0.0.1"):
    """count distinct free ports: every socket stays bound until all are picked."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


_shared_dkim_key = None


def shared_dkim_key():
    """One RSA key for every test server: generating 2048-bit keys under ASan is slow."""
    global _shared_dkim_key
    if _shared_dkim_key is None:
        d = make_tmpdir()
        path = os.path.join(d, "opendkim.private")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, "2048"],
                       check=True, capture_output=True)
        os.chmod(path, 0o644)  # readable by the unprivileged server user in CI
        _shared_dkim_key = path
    return _shared_dkim_key


def make_tmpdir():
    """A temp dir the unprivileged server user can reach."""
    d = tempfile.mkdtemp(prefix="chatrelay-test-")
    os.chmod(d, 0o755)
    return d


class Server:
    def __init__(self, tmpdir=None, params=None, routes=None, raw_config=None,
                 name="srv", data_dir=None, env=None):
        self.tmpdir = tmpdir or make_tmpdir()
        self.name = name
        self.params = {
            "mail_domain": "example.org",
            "data_dir": data_dir or os.path.join(self.tmpdir, name + "-data"),
            "listen_address": "127.0.0.1",
            "log_level": "debug",
            "threads": "2",
            "dkim_key": shared_dkim_key(),
        }
        for key, port in zip(PORT_KEYS, free_ports(len(PORT_KEYS))):
            self.params[key] = str(port)
        if os.geteuid() == 0:
            self.params["user"] = "nobody"
        self.params.update(params or {})
        self.routes = routes or {}
        self.raw_config = raw_config
        self.env = dict(env or {})  # extra environment (e.g. SSL_CERT_FILE, a test CA)
        self.config_path = os.path.join(self.tmpdir, name + ".ini")
        self.log_path = os.path.join(self.tmpdir, name + ".log")
        self.proc = None
        self._log_file = None

    def port(self, key):
        return int(self.params[key])

    @property
    def host(self):
        return self.params.get("listen_address", "127.0.0.1").split()[0]

    def write_config(self):
        if self.raw_config is not None:
            text = self.raw_config
        else:
            lines = ["[params]"] + [f"{k} = {v}" for k, v in self.params.items()]
            if self.routes:
                lines.append("[routes]")
                lines += [f"{k} = {v}" for k, v in self.routes.items()]
            text = "\n".join(lines) + "\n"
        with open(self.config_path, "w") as f:
            f.write(text)
        os.chmod(self.config_path, 0o644)

    def start(self, wait=True, extra_args=()):
        self.write_config()
        self._log_file = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.update(self.env)
        self.proc = subprocess.Popen(
            [BIN, "serve", "-c", self.config_path, *extra_args],
            stdout=self._log_file, stderr=self._log_file, stdin=subprocess.DEVNULL,
            cwd=self.tmpdir, env=env)
        if wait:
            self.wait_for_log("ready", timeout=20)
        return self

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.proc.returncode} before '{text}':\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"'{text}' not in log after {timeout}s:\n{self.log()}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=35):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self._log_file:
                self._log_file.close()
                self._log_file = None

    def stop(self, timeout=35):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def assert_clean_log(self):
        """No sanitizer report in the log."""
        text = self.log()
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            assert marker not in text, text
