"""The /mxdeliv receiver's answers (MXD-1..3) on one server, raw HTTP."""
import http.client

from test_federation_pair import maildir, wait_mail
from test_smtp_engine import FAST, fixture, make_account

HOST = "example.org"


def post(srv, body, headers, method="POST", path="/mxdeliv"):
    c = http.client.HTTPConnection(srv.host, srv.port("http_port"), timeout=10)
    c.putrequest(method, path)
    for k, v in headers:
        c.putheader(k, v)
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders()
    if body:
        c.send(body)
    r = c.getresponse()
    out = (r.status, r.read().decode(), r.getheader("Allow"))
    c.close()
    return out


def literal_msg(to):
    return fixture("encrypted.eml", "carol@[127.0.0.1]", to)


def test_mxdeliv_answers(server_factory):
    srv = server_factory(params=dict(FAST, dkim_verify="yes", max_message_size="20000",
                                     max_mailbox_size="5000")).start()
    make_account(srv, "bob@example.org")
    make_account(srv, "dan@example.org")
    msg = literal_msg("bob@example.org")
    env = [("X-Mail-From", "carol@[127.0.0.1]"), ("X-MAIL-TO", "bob@example.org"),
           ("X-Mail-To", "nobody@example.org"), ("X-Mail-To", "x@elsewhere.test")]
    assert post(srv, msg, env) == (200, "250 2.0.0 OK", None)
    assert len(wait_mail(srv, "bob@example.org")) == 1
    assert maildir(srv, "nobody@example.org") == []
    # bare LF line ends are stored as CRLF
    make_account(srv, "eve@example.org")
    lf = literal_msg("eve@example.org").replace(b"\r\n", b"\n")
    assert post(srv, lf, [("X-Mail-To", "eve@example.org")])[0:2] == (200, "250 2.0.0 OK")
    stored = open(wait_mail(srv, "eve@example.org")[0], "rb").read()
    assert stored == literal_msg("eve@example.org")
    # only unknown recipients: 200 without further checks
    assert post(srv, b"junk", [("X-Mail-To", "nobody@example.org")])[0:2] == \
        (200, "250 2.0.0 OK")
    assert post(srv, msg, [("X-Mail-From", "carol@[127.0.0.1]")])[0:2] == \
        (400, "501 5.5.4 No X-Mail-To header")
    assert post(srv, msg, [("X-Mail-To", "not an address")])[0] == 400
    assert post(srv, None, [], method="GET")[0::2] == (405, "POST")
    assert post(srv, None, [("X-Mail-To", "bob@example.org")])[0] == 411
    assert post(srv, b"x" * 20001, [("X-Mail-To", "bob@example.org")])[0:2] == \
        (413, "552 5.3.4 Message size exceeds fixed maximum message size")
    # From literal does not match the peer address (DKIM-8)
    bad = fixture("encrypted.eml", "carol@[10.9.9.9]", "bob@example.org")
    assert post(srv, bad, [("X-Mail-From", "carol@[10.9.9.9]"),
                           ("X-Mail-To", "bob@example.org")])[0:2] == \
        (403, "554 5.7.1 From domain literal does not match the connecting address")
    # local sender must use submission (MX-2)
    st, body, _ = post(srv, msg, [("X-Mail-From", "x@example.org"),
                                  ("X-Mail-To", "bob@example.org")])
    assert st == 403 and body.startswith("550 5.7.1 "), body
    # unencrypted: gate
    plain = b"From: <carol@[127.0.0.1]>\r\nTo: <bob@example.org>\r\nSubject: x\r\n\r\nhi\r\n"
    assert post(srv, plain, [("X-Mail-To", "bob@example.org")])[0:2] == \
        (403, "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail")
    # bob is now over quota (5000 bytes): 507 for him, dan still gets it
    post(srv, literal_msg("bob@example.org"), env)
    st, body, _ = post(srv, msg, [("X-Mail-To", "bob@example.org"),
                                  ("X-Mail-To", "dan@example.org")])
    assert (st, body.strip()) == (507, "452 4.2.2 <bob@example.org> Mailbox full")
    assert len(wait_mail(srv, "dan@example.org")) == 1
