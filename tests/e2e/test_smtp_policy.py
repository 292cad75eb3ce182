"""SMTP engine end to end: STARTTLS reset, quota, blocklists, federation policy
(SMTP-4, NET-5, SUB-7, MX-2, MX-3, QUOTA-2, FED-9, FED-10)."""
import ssl

from accounts_helpers import cli, recv_line
from test_smtp_engine import HOST, Conn, fast_server, fixture, make_account, wait_files


def tls_wrap(c):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c.sock = ctx.wrap_socket(c.sock, server_hostname=HOST)


def test_starttls_resets_session(server_factory):
    srv = fast_server(server_factory)
    c = Conn(srv)
    c.login("alice@example.org")
    assert c.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
    assert c.cmd("STARTTLS") == "220 2.0.0 Ready to start TLS"
    tls_wrap(c)
    # SMTP-4: as after the greeting (no EHLO, not authenticated, no transaction), no new 220
    assert c.cmd("MAIL FROM:<alice@example.org>") == "503 5.5.1 Send HELO/EHLO first"
    ehlo = c.ehlo().split("\n")
    assert "250-STARTTLS" not in ehlo and "250-AUTH PLAIN LOGIN" in ehlo
    assert c.cmd("MAIL FROM:<alice@example.org>") == "530 5.7.0 Authentication required"
    assert c.cmd("STARTTLS") == "503 5.5.1 TLS already active"
    c.login("alice@example.org")
    assert c.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
    c.close()


def test_submissions_has_no_starttls(server_factory):
    srv = fast_server(server_factory)
    import socket
    raw = socket.create_connection((srv.host, srv.port("submissions_port")), timeout=10)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(raw, server_hostname=HOST)
    assert recv_line(s) == f"220 {HOST} ESMTP"
    s.sendall(b"EHLO x\r\n")
    lines = []
    while True:
        line = recv_line(s)
        lines.append(line)
        if line.startswith("250 "):
            break
    assert "250-STARTTLS" not in lines and "250-AUTH PLAIN LOGIN" in lines
    s.sendall(b"STARTTLS\r\n")
    assert recv_line(s) == "502 5.5.1 Command not implemented"
    s.close()


def test_quota_at_rcpt(server_factory):
    srv = fast_server(server_factory, max_mailbox_size="1k")
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    msg = fixture("encrypted.eml", "alice@remote.test", "bob@example.org")
    assert c.message("alice@remote.test", ["bob@example.org"], msg) == "250 2.0.0 OK"
    assert len(wait_files(srv, "bob@example.org")) == 1
    assert c.cmd("MAIL FROM:<alice@remote.test>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<bob@example.org>") == "452 4.2.2 <bob@example.org>: Mailbox full"
    assert c.cmd("RCPT TO:<postmaster@example.org>") == "250 2.1.5 OK"
    c.close()


def test_blocklists_and_federation(server_factory):
    srv = fast_server(server_factory, sender_blocklist="spam.test",
                      federation_blocklist="closed.test")
    make_account(srv, "bob@example.org")
    cli(srv, "block", "add", "cli-blocked.test", check=0)
    cli(srv, "block", "add", "gone@example.org", check=0)
    c = Conn(srv, "smtp_port")
    c.ehlo()
    assert c.cmd("MAIL FROM:<x@spam.test>") == "550 5.7.1 <x@spam.test>: Sender blocked"
    assert c.cmd("MAIL FROM:<x@cli-blocked.test>") == \
        "550 5.7.1 <x@cli-blocked.test>: Sender blocked"
    assert c.cmd("MAIL FROM:<x@closed.test>") == \
        "550 5.7.1 <closed.test>: Domain not accepted by federation policy"
    assert c.cmd("MAIL FROM:<x@open.test>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<gone@example.org>") == "550 5.1.1 <gone@example.org>: User unknown"
    assert c.cmd("RCPT TO:<Bob@Example.org>") == "250 2.1.5 OK"
    c.close()
    s = Conn(srv)
    s.login("alice@example.org")
    assert s.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
    assert s.cmd("RCPT TO:<y@closed.test>") == \
        "550 5.7.1 <y@closed.test>: Recipient domain not allowed"
    assert s.cmd("RCPT TO:<y@spam.test>") == \
        "550 5.7.1 <y@spam.test>: Recipient domain not allowed"
    s.close()


def test_inbound_from_header_blocked(server_factory):
    srv = fast_server(server_factory, sender_blocklist="spam.test")
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    msg = fixture("encrypted.eml", "x@spam.test", "bob@example.org")
    assert c.message("fwd@remote.test", ["bob@example.org"], msg) == \
        "550 5.7.1 Sender not accepted"
    c.close()


def test_auth_line_limit(server_factory):
    import base64
    srv = fast_server(server_factory)
    c = Conn(srv)
    c.ehlo()
    blob = base64.b64encode(b"x" * 6000).decode()  # an AUTH line over 1000 octets is allowed
    assert c.cmd("AUTH PLAIN " + blob) == "501 5.5.2 Cannot decode response"
    assert c.cmd("AUTH PLAIN " + "A" * 12300) == "500 5.5.2 Line too long"
    assert c.cmd("NOOP " + "x" * 1200) == "500 5.5.2 Line too long"
    assert c.cmd("NOOP") == "250 2.0.0 OK"
    c.close()
