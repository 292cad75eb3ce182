"""Small protocol helpers for the account and authentication tests.

Raw sockets rather than imaplib/smtplib where exact replies matter.
"""
import base64
import os
import socket
import subprocess

from chatrelay_server import BIN


def recv_line(sock, timeout=10):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        ch = sock.recv(1)
        if not ch:
            break
        buf += ch
    return buf.decode("utf-8", "replace").rstrip("\r\n")


class Imap:
    def __init__(self, server):
        self.sock = socket.create_connection((server.host, server.port("imap_port")), timeout=10)
        self.greeting = recv_line(self.sock)
        self.n = 0

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def cmd(self, text, timeout=10):
        """Send a tagged command, return (untagged lines, tagged line)."""
        self.n += 1
        tag = f"a{self.n}"
        self.send(f"{tag} {text}")
        return self.until(tag, timeout)

    def until(self, tag, timeout=10):
        untagged = []
        while True:
            line = recv_line(self.sock, timeout)
            if line.startswith(tag + " "):
                return untagged, line[len(tag) + 1:]
            if line == "":
                return untagged, ""
            untagged.append(line)

    def login(self, user, password, timeout=10):
        q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return self.cmd(f"LOGIN {q(user)} {q(password)}", timeout)[1]

    def close(self):
        self.sock.close()


class Smtp:
    def __init__(self, server, port_key="submission_port"):
        self.sock = socket.create_connection((server.host, server.port(port_key)), timeout=10)
        self.greeting = recv_line(self.sock)

    def cmd(self, text, timeout=10):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply(timeout)

    def reply(self, timeout=10):
        lines = []
        while True:
            line = recv_line(self.sock, timeout)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return "\n".join(lines)

    def ehlo(self):
        return self.cmd("EHLO client.test")

    def auth_plain(self, user, password, timeout=10):
        self.ehlo()
        blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.cmd(f"AUTH PLAIN {blob}", timeout)

    def close(self):
        self.sock.close()


def plain_b64(user, password, authz=""):
    return base64.b64encode(f"{authz}\0{user}\0{password}".encode()).decode()


def cli(server, *args, check=None):
    """Run `chatrelay <args> -c <config>`; returns CompletedProcess."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    p = subprocess.run([BIN, *args, "-c", server.config_path], capture_output=True, text=True,
                       timeout=60, env=env, cwd=server.tmpdir)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p
