"""Inbound DKIM verification (DKIM-5..7) with key lookups through dns_server.

Server A (mail domain a.test) signs what it sends (DKIM-1); a mock /mxdeliv
peer captures the signed message. Server B (b.test, dkim_verify = yes)
looks the key up at opendkim._domainkey.a.test in a tiny DNS responder on
loopback. Intact passes, unsigned and tampered are refused, a silent DNS
server gives the DKIM-7 temporary failure.
"""
import base64
import socket
import struct
import subprocess
import threading

from chatrelay_server import shared_dkim_key
from test_federation_mxdeliv import post
from test_federation_pair import wait_mail
from test_queue_http import MockPeer
from test_smtp_engine import FAST, Conn, dotted, fixture, make_account


def public_record():
    der = subprocess.run(["openssl", "rsa", "-in", shared_dkim_key(), "-pubout",
                          "-outform", "DER"], check=True, capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class KeyDns:
    """TXT for opendkim._domainkey.a.test (TTL 0: never cached); silent when mute."""

    def __init__(self, record):
        self.record = record.encode()
        self.mute = False
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.running = True
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, addr = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if not self.mute:
                self.sock.sendto(self.answer(data), addr)

    def answer(self, q):
        qid = struct.unpack(">H", q[:2])[0]
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qend = pos + 5
        name = ".".join(labels).lower()
        qtype = struct.unpack(">H", q[pos + 1:pos + 3])[0]
        self.queries.append((name, qtype))
        rcode, answers, count = 3, b"", 0
        if name == "opendkim._domainkey.a.test" and qtype == 16:
            chunks = [self.record[i:i + 255] for i in range(0, len(self.record), 255)]
            rdata = b"".join(bytes([len(c)]) + c for c in chunks)
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 0, len(rdata)) + rdata
            rcode, count = 0, 1
        header = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, count, 0, 0)
        return header + q[12:qend] + answers

    def close(self):
        self.running = False
        self.sock.close()




def inbound(srv, sender, rcpt, msg):
    c = Conn(srv, "smtp_port")
    c.sock.settimeout(40)
    c.ehlo()
    assert c.cmd(f"MAIL FROM:<{sender}>") == "250 2.1.0 OK"
    assert c.cmd(f"RCPT TO:<{rcpt}>") == "250 2.1.5 OK"
    assert c.cmd("DATA") == "354 End data with <CR><LF>.<CR><LF>"
    c.send(dotted(msg))
    r = c.reply(timeout=40)
    c.close()
    return r


def test_inbound_dkim(server_factory):
    dns = KeyDns(public_record())
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        a = server_factory(name="a", params=dict(FAST, mail_domain="a.test"),
                           routes={"b.test": f"{peer.url()} -"}).start()
        b = server_factory(name="b", params=dict(FAST, mail_domain="b.test", dkim_verify="yes",
                                                 dns_server=f"127.0.0.1:{dns.port}")).start()
        c = Conn(a)
        c.ehlo()
        c.login("alice@a.test")
        msg = fixture("encrypted.eml", "alice@a.test", "bob@b.test")
        assert c.message("alice@a.test", ["bob@b.test"], msg) == "250 2.0.0 OK"
        c.close()
        assert peer.wait(1, timeout=15), a.log()
        signed = peer.requests[0]["body"]
        assert signed.startswith(b"DKIM-Signature:")
        make_account(b, "bob@b.test")
        # intact: passes over SMTP and over /mxdeliv
        assert inbound(b, "alice@a.test", "bob@b.test", signed) == "250 2.0.0 OK", b.log()
        assert ("opendkim._domainkey.a.test", 16) in dns.queries
        assert post(b, signed, [("X-Mail-From", "alice@a.test"),
                                ("X-Mail-To", "bob@b.test")])[0:2] == (200, "250 2.0.0 OK")
        files = wait_mail(b, "bob@b.test", 2)
        assert len(files) == 2
        assert all(b"DKIM-Signature" not in open(f, "rb").read() for f in files)  # HDR-2
        # unsigned
        assert inbound(b, "alice@a.test", "bob@b.test", msg) == \
            "554 5.7.1 No DKIM signature found"
        # tampered signed header (the body must still pass the gate, which comes first)
        head, body = signed.split(b"\r\n\r\n", 1)
        assert b"bob@b.test" in head
        tampered = head.replace(b"bob@b.test", b"bob2@b.test") + b"\r\n\r\n" + body
        assert tampered != signed
        assert inbound(b, "alice@a.test", "bob@b.test", tampered) == \
            "554 5.7.1 No valid DKIM signature found"
        st, text, _ = post(b, tampered, [("X-Mail-From", "alice@a.test"),
                                         ("X-Mail-To", "bob@b.test")])
        assert (st, text) == (403, "554 5.7.1 No valid DKIM signature found")
        # DNS silent: temporary failure (TTL 0: nothing cached)
        dns.mute = True
        assert inbound(b, "alice@a.test", "bob@b.test", signed) == \
            "451 4.4.3 Temporary DNS failure during DKIM verification"
    finally:
        peer.close()
        dns.close()
