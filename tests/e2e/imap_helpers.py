"""Raw IMAP client helpers for the engine tests (plain, TLS, COMPRESS)."""
import re
import socket
import ssl
import zlib


class Raw:
    """A line-oriented IMAP client over a socket, optionally DEFLATE-compressed."""

    def __init__(self, port, host="127.0.0.1", tls=False, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock)
        self.buf = b""
        self.inflate = None
        self.deflate = None
        self.greeting = self.line()

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)

    def compress(self):
        self.inflate = zlib.decompressobj(-15)
        self.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.deflate is not None:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        if self.inflate is not None:
            chunk = self.inflate.decompress(chunk)
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response_line(self):
        """One response line with its literals inlined: returns (text, [literals])."""
        line = self.line()
        lits = []
        out = line
        while True:
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                break
            data = self.read_exact(int(m.group(1)))
            lits.append(data)
            line = self.line()
            out += b"\r\n" + data + line
        return out, lits

    def cmd(self, tag, text):
        """Send `tag text`; return (untagged lines, tagged line)."""
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def until(self, tag):
        untagged = []
        while True:
            full, _ = self.response_line()
            if full.startswith(tag.encode() + b" "):
                return untagged, full.decode(errors="replace")
            untagged.append(full)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def login(port, user, pw, **kw):
    c = Raw(port, **kw)
    _, tagged = c.cmd("a1", f"LOGIN {quote(user)} {quote(pw)}")
    assert " OK " in tagged, tagged
    return c


MSG = (b"From: Alice <alice@example.org>\r\n"
       b"To: bob@example.org\r\n"
       b"Subject: hello\r\n"
       b"Message-ID: <m1@example.org>\r\n"
       b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
       b"Chat-Version: 1.0\r\n"
       b"\r\n"
       b"body line 1\r\n"
       b"body line 2\r\n")


def append(c, tag, msg=MSG, mailbox="INBOX", flags=""):
    c.send(f"{tag} APPEND {mailbox} {flags}{{{len(msg)}}}\r\n".encode())
    cont = c.line()
    assert cont.startswith(b"+ "), cont
    c.send(msg + b"\r\n")
    return c.until(tag)
