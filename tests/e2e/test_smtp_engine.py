"""SMTP engine end to end: common rules, submission, inbound (SPEC 6-10).

Raw sockets (exact reply texts, pipelining) against the real binary on
loopback. Accounts come from JIT login (AUTH-3) through SMTP AUTH.
"""
import glob
import os
import signal
import socket
import time

from accounts_helpers import Smtp, recv_line

FAST = {"auth_failure_delay": "0s", "min_available_memory": "0", "min_free_disk_space": "0",
        "dkim_verify": "no", "username_min_length": "3"}
HERE = os.path.dirname(__file__)
MAILDATA = os.path.join(HERE, "..", "data", "mail")
HOST = "example.org"


def fast_server(server_factory, **params):
    p = dict(FAST)
    p.update(params)
    return server_factory(params=p).start()


def fixture(name, from_addr, to_addr, subject="hello"):
    """A message from tests/data/mail with its placeholders filled, CRLF line ends."""
    with open(os.path.join(MAILDATA, name), encoding="utf-8") as f:
        text = f.read()
    text = text.replace("{from_addr}", from_addr).replace("{to_addr}", to_addr)
    text = text.replace("{subject}", subject)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def plain_msg(from_addr, to_addr, body="hi there"):
    return (f"From: <{from_addr}>\r\nTo: <{to_addr}>\r\nSubject: plain\r\n\r\n{body}\r\n").encode()


def dotted(msg):
    """Dot-stuff msg and add the end marker."""
    lines = msg.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
    return out + b".\r\n"


class Conn(Smtp):
    """Smtp from accounts_helpers plus raw sending."""

    def __init__(self, server, port_key="submission_port"):
        super().__init__(server, port_key)

    def send(self, data):
        self.sock.sendall(data)

    def login(self, user, password="password123"):
        r = self.auth_plain(user, password)
        assert r == "235 2.7.0 Authentication successful", r

    def message(self, sender, rcpts, msg):
        """Send a full transaction one command at a time; returns the DATA reply."""
        assert self.cmd(f"MAIL FROM:<{sender}>") == "250 2.1.0 OK"
        for r in rcpts:
            assert self.cmd(f"RCPT TO:<{r}>") == "250 2.1.5 OK"
        assert self.cmd("DATA") == "354 End data with <CR><LF>.<CR><LF>"
        self.send(dotted(msg))
        return self.reply()


def inbox(srv, addr, sub="new"):
    return sorted(glob.glob(os.path.join(srv.params["data_dir"], "mail", HOST, addr, sub, "*")))


def wait_files(srv, addr, n=1, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = inbox(srv, addr) + inbox(srv, addr, "cur")
        if len(files) >= n:
            return files
        time.sleep(0.02)
    return inbox(srv, addr) + inbox(srv, addr, "cur")


def make_account(srv, addr, password="password123"):
    c = Conn(srv)
    c.login(addr, password)
    c.cmd("QUIT")
    c.close()


def test_common_replies(server_factory):
    srv = fast_server(server_factory)
    c = Conn(srv, "smtp_port")
    assert c.greeting == f"220 {HOST} ESMTP"
    assert c.cmd("MAIL FROM:<a@remote.test>") == "503 5.5.1 Send HELO/EHLO first"
    assert c.cmd("EHLO") == "501 5.5.4 Syntax: EHLO hostname"
    ehlo = c.cmd("EHLO client.test").split("\n")
    want = [f"250-{HOST}", "250-PIPELINING", "250-SIZE 31457280"]
    if "250-STARTTLS" in ehlo:
        want.append("250-STARTTLS")
    want += ["250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SMTPUTF8"]
    assert ehlo == want
    assert c.cmd("HELO client.test") == f"250 {HOST}"
    assert c.cmd("EHLO client.test").startswith(f"250-{HOST}")
    assert c.cmd("AUTH PLAIN") == "502 5.5.1 Command not implemented"
    assert c.cmd("VRFY someone") == \
        "252 2.0.0 Cannot verify addresses, send a message to test delivery"
    assert c.cmd("EXPN list") == "502 5.5.1 Command not implemented"
    assert c.cmd("HELP") == "214 2.0.0 See RFC 5321"
    assert c.cmd("BDAT 10") == "500 5.5.2 Command not recognized"
    assert c.cmd("FOO bar") == "500 5.5.2 Command not recognized"
    assert c.cmd("NOOP") == "250 2.0.0 OK"
    assert c.cmd("RSET") == "250 2.0.0 OK"
    c.close()
    c = Conn(srv, "smtp_port")  # a fresh error count (SMTP-13)
    c.ehlo()
    assert c.cmd("STARTTLS now") == "501 5.5.4 Syntax error"
    assert c.cmd("RCPT TO:<x@example.org>") == "503 5.5.1 Need MAIL command"
    assert c.cmd("DATA") == "503 5.5.1 Need MAIL command"
    assert c.cmd("MAIL FROM:<>") == "250 2.1.0 OK"
    assert c.cmd("MAIL FROM:<>") == "503 5.5.1 Nested MAIL command"
    assert c.cmd("DATA") == "554 5.5.1 No valid recipients"
    assert c.cmd("quit") == "221 2.0.0 Bye"
    assert recv_line(c.sock) == ""
    c.close()


def test_address_and_parameter_replies(server_factory):
    srv = fast_server(server_factory)
    c = Conn(srv, "smtp_port")
    c.ehlo()
    assert c.cmd("MAIL FROM:<a b@remote.test>") == "501 5.1.7 Bad sender address syntax"
    assert c.cmd("MAIL FROM:<a@remote.test> FOO=1") == "555 5.5.4 Unsupported parameter"
    assert c.cmd("MAIL FROM:<a@remote.test> SIZE=abc") == "501 5.5.4 Invalid SIZE parameter"
    assert c.cmd("MAIL FROM:<a@remote.test> SIZE=99999999999") == \
        "552 5.3.4 Message size exceeds fixed maximum message size"
    c.send("MAIL FROM:<ä@remote.test>\r\n".encode())
    assert c.reply() == "553 5.6.7 Non-ASCII address requires SMTPUTF8"
    assert c.cmd("MAIL FROM:<a@remote.test> SIZE=100 BODY=8BITMIME") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<>") == "501 5.1.3 Bad recipient address syntax"
    assert c.cmd("RCPT TO:<x@example.org> NOTIFY=NEVER") == "555 5.5.4 Unsupported parameter"
    assert c.cmd("RCPT TO:<x@elsewhere.test>") == "550 5.7.1 <x@elsewhere.test>: Relay access denied"
    assert c.cmd("RCPT TO:<nobody@example.org>") == "550 5.1.1 <nobody@example.org>: User unknown"
    assert c.cmd("RCPT TO:<postmaster@example.org>") == "250 2.1.5 OK"
    assert c.cmd("RSET") == "250 2.0.0 OK"
    assert c.cmd("HELO client.test") == f"250 {HOST}"
    assert c.cmd("MAIL FROM:<a@remote.test> SIZE=10") == "555 5.5.4 Unsupported parameter"
    c.close()


def test_line_limits_and_error_cutoff(server_factory):
    srv = fast_server(server_factory)
    c = Conn(srv, "smtp_port")
    c.ehlo()
    ok = "NOOP " + "x" * (1000 - 2 - 5)
    assert c.cmd(ok) == "250 2.0.0 OK"
    assert c.cmd(ok + "y") == "500 5.5.2 Line too long"
    assert c.cmd("NOOP") == "250 2.0.0 OK"
    for i in range(8):
        assert c.cmd("BOGUS") == "500 5.5.2 Command not recognized"
    # the 10th error reply (the long line was the first) ends the session
    assert c.cmd("BOGUS") == "500 5.5.2 Command not recognized"
    assert recv_line(c.sock) == f"421 4.7.0 {HOST} Too many errors"
    c.close()


def test_error_cutoff_exact(server_factory):
    srv = fast_server(server_factory)
    c = Conn(srv, "smtp_port")
    c.send(b"BOGUS\r\n" * 10)
    lines = [recv_line(c.sock) for _ in range(11)]
    assert lines[:10] == ["500 5.5.2 Command not recognized"] * 10
    assert lines[10] == f"421 4.7.0 {HOST} Too many errors"
    assert recv_line(c.sock) == ""
    c.close()


def test_pipelined_group(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    msg = fixture("encrypted.eml", "alice@remote.test", "bob@example.org")
    c.send(b"MAIL FROM:<alice@remote.test>\r\nRCPT TO:<bob@example.org>\r\n"
           b"RCPT TO:<nobody@example.org>\r\nRCPT TO:<x@elsewhere.test>\r\nDATA\r\n")
    assert [c.reply() for _ in range(5)] == [
        "250 2.1.0 OK", "250 2.1.5 OK", "550 5.1.1 <nobody@example.org>: User unknown",
        "550 5.7.1 <x@elsewhere.test>: Relay access denied",
        "354 End data with <CR><LF>.<CR><LF>"]
    c.send(dotted(msg) + b"NOOP\r\nQUIT\r\n")
    assert c.reply() == "250 2.0.0 OK"
    assert c.reply() == "250 2.0.0 OK"
    assert c.reply() == "221 2.0.0 Bye"
    c.close()
    assert len(wait_files(srv, "bob@example.org")) == 1


def test_inbound_gate_and_delivery(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    assert c.cmd("MAIL FROM:<carol@example.org>") == \
        "550 5.7.1 <carol@example.org>: Local sender must use submission"
    assert c.message("alice@remote.test", ["bob@example.org"],
                     plain_msg("alice@remote.test", "bob@example.org")) == \
        "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail"
    assert c.message("alice@remote.test", ["bob@example.org"],
                     plain_msg("carol@example.org", "bob@example.org")) == \
        "550 5.7.1 Local sender must use submission"
    assert c.message("", ["bob@example.org"], b"Subject: no from\r\n\r\nx\r\n") == \
        "554 5.6.0 Missing or invalid From header"
    msg = fixture("encrypted.eml", "alice@remote.test", "bob@example.org")
    msg = b"Received: from evil\r\nDKIM-Signature: v=1; x\r\n" + msg
    assert c.message("alice@remote.test", ["bob@example.org"], msg) == "250 2.0.0 OK"
    c.close()
    files = wait_files(srv, "bob@example.org")
    assert len(files) == 1
    stored = open(files[0], "rb").read()
    hdr = stored.split(b"\r\n\r\n", 1)[0]
    assert b"Received:" not in hdr and b"DKIM-Signature:" not in hdr
    assert b"Subject: hello" in hdr  # HDR-1 is submission only
    assert stored.endswith(msg.split(b"\r\n\r\n", 1)[1])
    assert not os.listdir(os.path.join(srv.params["data_dir"], "tmp"))


def test_inbound_literal_origin(server_factory):
    srv = fast_server(server_factory, dkim_verify="yes")
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    good = fixture("encrypted.eml", "alice@[127.0.0.1]", "bob@example.org")
    bad = fixture("encrypted.eml", "alice@[10.1.2.3]", "bob@example.org")
    assert c.message("alice@[10.1.2.3]", ["bob@example.org"], bad) == \
        "554 5.7.1 From domain literal does not match the connecting address"
    assert c.message("alice@[127.0.0.1]", ["bob@example.org"], good) == "250 2.0.0 OK"
    c.close()


def test_submission_rules(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv)
    c.ehlo()
    assert c.cmd("MAIL FROM:<alice@example.org>") == "530 5.7.0 Authentication required"
    c.login("alice@example.org")
    assert c.cmd("MAIL FROM:<bob@example.org>") == \
        "553 5.7.1 Sender address not owned by authenticated user"
    assert c.cmd("MAIL FROM:<>") == "553 5.7.1 Sender address not owned by authenticated user"
    assert c.cmd("MAIL FROM:<Alice@EXAMPLE.org> AUTH=<>") == "250 2.1.0 OK"
    assert c.cmd("AUTH PLAIN") == "503 5.5.1 Already authenticated"
    assert c.cmd("RCPT TO:<nobody@example.org>") == "550 5.1.1 <nobody@example.org>: User unknown"
    r = c.cmd("RCPT TO:<x@remote.test>")
    assert r.startswith("451 4.3.0 "), r
    assert c.cmd("DATA") == "554 5.5.1 No valid recipients"
    assert c.cmd("RCPT TO:<bob@example.org>") == "250 2.1.5 OK"
    assert c.cmd("DATA") == "354 End data with <CR><LF>.<CR><LF>"
    c.send(dotted(plain_msg("alice@example.org", "bob@example.org")))
    assert c.reply() == "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail"
    forged = fixture("encrypted.eml", "bob@example.org", "bob@example.org")
    assert c.message("alice@example.org", ["bob@example.org"], forged) == \
        "554 5.7.1 From header does not match the authenticated sender"
    assert c.message("alice@example.org", ["bob@example.org"], b"Subject: x\r\n\r\nx\r\n") == \
        "554 5.6.0 Missing or invalid From header"
    assert inbox(srv, "bob@example.org") == []
    msg = fixture("encrypted.eml", "alice@example.org", "bob@example.org", "secret subject")
    msg = (b"Received: from client\r\nUser-Agent: x\r\nX-Mailer: y\r\n"
           b"X-Originating-IP: 10.0.0.1\r\n") + msg
    assert c.message("alice@example.org", ["bob@example.org", "alice@example.org"], msg) == \
        "250 2.0.0 OK"
    c.close()
    for who in ("bob@example.org", "alice@example.org"):
        files = wait_files(srv, who)
        assert len(files) == 1, who
        hdr = open(files[0], "rb").read().split(b"\r\n\r\n", 1)[0]
        for name in (b"Received:", b"User-Agent:", b"X-Mailer:", b"X-Originating-IP:"):
            assert name not in hdr
        assert b"\r\nSubject: [...]\r\n" in hdr
        assert b"secret subject" not in hdr


def test_rate_limit(server_factory):
    srv = fast_server(server_factory, max_user_send_per_minute="1", max_user_send_burst_size="2")
    c = Conn(srv)
    c.login("alice@example.org")
    for _ in range(2):
        assert c.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
        assert c.cmd("RSET") == "250 2.0.0 OK"
    assert c.cmd("MAIL FROM:<alice@example.org>") == \
        "450 4.7.1 Too much mail from alice@example.org, try again later"
    assert c.cmd("RCPT TO:<alice@example.org>") == "503 5.5.1 Need MAIL command"
    c.close()


def test_max_recipients(server_factory):
    srv = fast_server(server_factory, max_recipients="2")
    c = Conn(srv)
    c.login("alice@example.org")
    assert c.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<alice@example.org>") == "250 2.1.5 OK"
    assert c.cmd("RCPT TO:<postmaster@example.org>") == "250 2.1.5 OK"
    assert c.cmd("RCPT TO:<abuse@example.org>") == "452 4.5.3 Too many recipients"
    c.close()


def test_size_limit_drains(server_factory):
    srv = fast_server(server_factory, max_message_size="4000")
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    big = plain_msg("alice@remote.test", "bob@example.org", "y" * 70 + ("\r\n" + "z" * 70) * 100)
    assert c.message("alice@remote.test", ["bob@example.org"], big) == \
        "552 5.3.4 Message size exceeds fixed maximum message size"
    assert c.cmd("NOOP") == "250 2.0.0 OK"
    msg = fixture("encrypted.eml", "alice@remote.test", "bob@example.org")
    assert len(msg) < 4000
    assert c.message("alice@remote.test", ["bob@example.org"], msg) == "250 2.0.0 OK"
    c.close()
    assert len(wait_files(srv, "bob@example.org")) == 1


def test_long_data_line_and_smuggling(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    long = plain_msg("alice@remote.test", "bob@example.org", "x" * 70000)
    assert c.message("alice@remote.test", ["bob@example.org"], long) == \
        "554 5.6.0 Message line too long"
    assert c.cmd("MAIL FROM:<alice@remote.test>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<bob@example.org>") == "250 2.1.5 OK"
    assert c.cmd("DATA").startswith("354")
    c.send(b"From: <alice@remote.test>\r\n\r\nsmuggle\n.\r\nMAIL FROM:<x@y.test>\r\n\r\n.\r\n")
    assert c.reply() == "554 5.5.2 Bare LF in message terminator not allowed"
    assert c.cmd("NOOP") == "250 2.0.0 OK"
    c.close()
    assert inbox(srv, "bob@example.org") == []


def test_disconnect_mid_data_leaves_nothing(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    assert c.cmd("MAIL FROM:<alice@remote.test>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<bob@example.org>") == "250 2.1.5 OK"
    assert c.cmd("DATA").startswith("354")
    msg = fixture("encrypted.eml", "alice@remote.test", "bob@example.org")
    c.send(msg[:len(msg) // 2])
    time.sleep(0.2)
    c.sock.close()
    time.sleep(0.3)
    tmp = os.path.join(srv.params["data_dir"], "tmp")
    assert not os.path.isdir(tmp) or os.listdir(tmp) == []
    box = os.path.join(srv.params["data_dir"], "mail", HOST, "bob@example.org")
    for sub in ("new", "cur", "tmp"):
        assert os.listdir(os.path.join(box, sub)) == []


def test_timeout(server_factory):
    srv = fast_server(server_factory, smtp_timeout="1s")
    c = Conn(srv, "smtp_port")
    assert recv_line(c.sock, timeout=5) == f"421 4.4.2 {HOST} Timeout"
    c.close()


def test_sigterm_during_data_finishes(server_factory):
    srv = fast_server(server_factory)
    make_account(srv, "bob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    idle = Conn(srv, "smtp_port")
    assert c.cmd("MAIL FROM:<alice@remote.test>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<bob@example.org>") == "250 2.1.5 OK"
    assert c.cmd("DATA").startswith("354")
    data = dotted(fixture("encrypted.eml", "alice@remote.test", "bob@example.org"))
    c.send(data[:100])
    srv.signal(signal.SIGTERM)
    assert recv_line(idle.sock) == f"421 4.3.2 {HOST} Service shutting down", srv.log()
    time.sleep(0.3)
    c.send(data[100:])
    assert c.reply() == "250 2.0.0 OK", srv.log()
    assert recv_line(c.sock) == f"421 4.3.2 {HOST} Service shutting down", srv.log()
    assert srv.wait(20) == 0, srv.log()
    assert len(inbox(srv, "bob@example.org")) == 1


def test_no_log_keeps_personal_data_out(server_factory):
    srv = fast_server(server_factory, no_log="yes", log_level="debug")
    make_account(srv, "secretbob@example.org")
    c = Conn(srv, "smtp_port")
    c.ehlo()
    msg = fixture("encrypted.eml", "hiddenalice@remote.test", "secretbob@example.org")
    assert c.message("hiddenalice@remote.test", ["secretbob@example.org"], msg) == \
        "250 2.0.0 OK"
    assert c.message("hiddenalice@remote.test", ["secretbob@example.org"],
                     plain_msg("hiddenalice@remote.test", "secretbob@example.org")).startswith("523")
    c.close()
    srv.stop()
    log = srv.log()
    for secret in ("secretbob", "hiddenalice", "remote.test"):
        assert secret not in log, secret
