"""Outbound SMTP of the queue (FED-4..6, TLS-7) against a mock MX on loopback.

The mock speaks EHLO/STARTTLS/MAIL/RCPT/DATA with a self-signed certificate
(so verification fails unless federation_insecure_tls or a "_" domain);
variants leave STARTTLS out or refuse a recipient. Messages are injected
into the stopped server's queue, then `chatrelay queue flush` skips the
10 s start delay of loaded entries (QUEUE-4).
"""
import os
import socketserver
import ssl
import subprocess
import threading
import time

from chatrelay_server import free_port, make_tmpdir
from test_queue_http import (fresh_log, inject, inbox_messages, make_account, prepare,
                             queue_files, run_cli, wait_empty)

_cert = None


def self_signed():
    global _cert
    if _cert is None:
        d = make_tmpdir()
        key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", crt, "-days", "2", "-subj", "/CN=mx.peer.test"],
                       check=True, capture_output=True)
        _cert = (crt, key)
    return _cert


class MockMx:
    def __init__(self, starttls=True, rcpt_replies=None, pipelining=True):
        self.transactions = []
        self.sessions = 0
        self.starttls = starttls
        self.rcpt_replies = rcpt_replies or {}
        self.pipelining = pipelining
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self_signed())
        mx = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                mx.sessions += 1
                sock, f = self.connection, self.rfile
                send = lambda s: sock.sendall(s.encode() + b"\r\n")  # noqa: E731
                send("220 mx.peer.test ESMTP mock")
                tx = None
                while True:
                    line = f.readline()
                    if not line:
                        return
                    cmd = line.decode().rstrip("\r\n")
                    verb = cmd.split(" ")[0].upper()
                    if verb == "EHLO":
                        ext = ["250-mx.peer.test", "250-SIZE 10000000", "250-8BITMIME"]
                        if mx.starttls and not isinstance(sock, ssl.SSLSocket):
                            ext.append("250-STARTTLS")
                        ext.append("250 PIPELINING" if mx.pipelining else "250 HELP")
                        send("\r\n".join(ext))
                    elif verb == "STARTTLS":
                        send("220 go ahead")
                        try:
                            sock = ctx.wrap_socket(sock, server_side=True)
                        except (ssl.SSLError, OSError):
                            return  # the client refused our certificate
                        f = sock.makefile("rb")
                        send = lambda s, sock=sock: sock.sendall(s.encode() + b"\r\n")  # noqa
                    elif verb == "MAIL":
                        tx = {"from": cmd, "rcpts": [], "tls": isinstance(sock, ssl.SSLSocket)}
                        send("250 ok")
                    elif verb == "RCPT":
                        addr = cmd.split("<", 1)[1].split(">", 1)[0]
                        reply = mx.rcpt_replies.get(addr, "250 ok")
                        if reply.startswith("250"):
                            tx["rcpts"].append(addr)
                        send(reply)
                    elif verb == "DATA":
                        send("354 go")
                        raw = b""
                        while not raw.endswith(b"\r\n.\r\n"):
                            chunk = f.readline()
                            if not chunk:
                                return
                            raw += chunk
                        tx["data"] = raw
                        mx.transactions.append(tx)
                        send("250 queued")
                    elif verb == "QUIT":
                        send("221 bye")
                        return
                    else:
                        send("502 no")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count=1, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.transactions) < count:
            time.sleep(0.05)
        return len(self.transactions) >= count

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_and_flush(srv):
    srv.start()
    r = run_cli(srv, "queue", "flush")
    assert r.returncode == 0, r.stderr


def test_fallback_to_smtp_with_dot_stuffing(server_factory):
    mx = MockMx()
    try:
        dead = free_port()
        srv = prepare(server_factory,
                      {"peer.test": f"http://127.0.0.1:{dead}/mxdeliv 127.0.0.1:{mx.port}"},
                      {"federation_insecure_tls": "yes"})
        inject(srv, "alice@example.org", ["bob@peer.test", "carol@peer.test"])
        start_and_flush(srv)
        assert mx.wait(), srv.log()
        tx = mx.transactions[0]
        assert tx["tls"]
        assert tx["from"].startswith("MAIL FROM:<alice@example.org>")
        assert "SIZE=" in tx["from"]
        assert sorted(tx["rcpts"]) == ["bob@peer.test", "carol@peer.test"]  # one transaction
        assert b"\r\n..leading dot line\r\n" in tx["data"]  # dot-stuffed on the wire
        assert tx["data"].endswith(b"body\r\n.\r\n")
        assert wait_empty(srv), srv.log()
        assert len(mx.transactions) == 1
    finally:
        mx.close()


def test_no_starttls_is_not_delivered(server_factory):
    mx = MockMx(starttls=False)
    try:
        srv = prepare(server_factory, {"peer.test": f"- 127.0.0.1:{mx.port}"},
                      {"federation_insecure_tls": "yes"})
        inject(srv, "alice@example.org", ["bob@peer.test"])
        start_and_flush(srv)
        srv.wait_for_log("attempt done: 0 of 1", timeout=10)
        assert mx.sessions >= 1 and mx.transactions == []
        assert len(queue_files(srv)) == 1  # temporary: still queued
        r = run_cli(srv, "queue", "list")
        assert "4.7.4" in r.stdout and "STARTTLS" in r.stdout, r.stdout
    finally:
        mx.close()


def test_bad_certificate_is_not_delivered(server_factory):
    mx = MockMx()
    try:
        srv = prepare(server_factory, {"peer.test": f"- 127.0.0.1:{mx.port}"})
        inject(srv, "alice@example.org", ["bob@peer.test"])
        start_and_flush(srv)
        srv.wait_for_log("attempt done: 0 of 1", timeout=10)
        assert mx.transactions == []
        assert len(queue_files(srv)) == 1
        assert "4.7.5" in run_cli(srv, "queue", "list").stdout
    finally:
        mx.close()


def test_underscore_domain_skips_verification(server_factory):
    mx = MockMx(pipelining=False, rcpt_replies={"bob@_peer.test": "450 4.2.1 Later"})
    try:
        srv = prepare(server_factory, {"_peer.test": f"- 127.0.0.1:{mx.port}"})
        inject(srv, "alice@example.org", ["bob@_peer.test", "carol@_peer.test"])
        start_and_flush(srv)
        assert mx.wait(), srv.log()
        assert mx.transactions[0]["tls"]
        assert mx.transactions[0]["rcpts"] == ["carol@_peer.test"]
        srv.wait_for_log("attempt done: 1 of 2", timeout=10)
        out = run_cli(srv, "queue", "list").stdout  # bob: 4xx RCPT, retried later (FED-6)
        assert " _peer.test 1 " in out and "450 4.2.1 Later" in out, out
    finally:
        mx.close()


def test_rcpt_refused_gets_dsn_other_delivered(server_factory):
    mx = MockMx(rcpt_replies={"bob@peer.test": "550 5.1.1 <bob@peer.test> User unknown"})
    try:
        srv = prepare(server_factory, {"peer.test": f"- 127.0.0.1:{mx.port}"},
                      {"federation_insecure_tls": "yes"})
        inbox = make_account(srv, "alice@example.org")
        inject(srv, "alice@example.org", ["bob@peer.test", "carol@peer.test"])
        start_and_flush(srv)
        assert mx.wait(), srv.log()
        assert mx.transactions[0]["rcpts"] == ["carol@peer.test"]
        msgs = inbox_messages(inbox)
        assert len(msgs) == 1, srv.log()
        dsn = msgs[0].decode()
        assert "Final-Recipient: rfc822; bob@peer.test" in dsn
        assert "carol@peer.test" not in dsn.split("text/rfc822-headers")[0]
        assert "Status: 5.1.1" in dsn
        assert wait_empty(srv), srv.log()
    finally:
        mx.close()
