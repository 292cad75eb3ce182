"""Inbound DKIM verification (DKIM-5..7) with key lookups through dns_server.

Server A (mail domain a.test) signs what it sends (DKIM-1); a mock /mxdeliv
peer captures the signed message. Server B (b.test, dkim_verify = yes)
looks the key up at opendkim._domainkey.a.test in a tiny DNS responder on
loopback. Intact passes, unsigned and tampered are refused, a silent DNS
server gives the DKIM-7 temporary failure.
"""
import base64
import subprocess

from chatrelay_server import shared_dkim_key
from dns_mock import T_TXT, MockDns
from test_federation_mxdeliv import post
from test_federation_pair import wait_mail
from test_queue_http import MockPeer
from test_smtp_engine import FAST, Conn, dotted, fixture, make_account


def public_record():
    der = subprocess.run(["openssl", "rsa", "-in", shared_dkim_key(), "-pubout",
                          "-outform", "DER"], check=True, capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def key_dns(record):
    """TXT for opendkim._domainkey.a.test (TTL 0: never cached)."""
    return MockDns({"opendkim._domainkey.a.test": [(T_TXT, record)]}, ttl=0)


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
    dns = key_dns(public_record())
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
