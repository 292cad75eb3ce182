"""IMAP engine: the Delta Chat must-work path (SPEC DC-2) over plain, STARTTLS,
implicit TLS, with and without COMPRESS; IDLE wake-up (IMAP-51)."""
import os
import time

import pytest

from imap_helpers import MSG, Raw, append, quote

USER = "dcuser123@example.org"
PW = 'pa"ss\\word%1'

CAPS_AFTER = ("IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE "
              "QUOTA METADATA SPECIAL-USE COMPRESS=DEFLATE XCHATMAIL XDELTAPUSH")

HDR_FIELDS = ("MESSAGE-ID DATE X-MICROSOFT-ORIGINAL-MESSAGE-ID FROM CONTENT-TYPE SECURE-JOIN "
              "CHAT-VERSION CHAT-IS-POST-MESSAGE AUTOCRYPT-SETUP-MESSAGE")


def connect(server, mode):
    if mode == "imaps":
        return Raw(server.port("imaps_port"), tls=True)
    c = Raw(server.port("imap_port"))
    if mode == "starttls":
        untagged, tagged = c.cmd("s1", "STARTTLS")
        assert tagged == "s1 OK Begin TLS negotiation now."
        c.starttls()
    return c


def dc_session(server, mode, compress):
    c = connect(server, mode)
    assert c.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    untagged, tagged = c.cmd("a1", f"LOGIN {quote(USER)} {quote(PW)}")
    assert tagged == f"a1 OK [CAPABILITY {CAPS_AFTER}] Logged in."
    untagged, tagged = c.cmd("a2", 'ID ("name" "Delta Chat")')
    assert untagged == [b"* ID NIL"] and tagged == "a2 OK ID completed."
    if compress:
        untagged, tagged = c.cmd("a3", "COMPRESS DEFLATE")
        assert tagged == "a3 OK DEFLATE active."
        c.compress()
    return c


@pytest.mark.parametrize("mode,compress", [
    ("plain", False), ("plain", True), ("starttls", False), ("starttls", True),
    ("imaps", False), ("imaps", True)])
def test_dc2_loop(server, mode, compress):
    c = dc_session(server, mode, compress)
    untagged, tagged = c.cmd("a4", 'GETQUOTAROOT "INBOX"')
    assert untagged == [b'* QUOTAROOT INBOX ""', b'* QUOTA "" (STORAGE 0 512000)']
    assert tagged == "a4 OK Getquotaroot completed."
    untagged, tagged = c.cmd(
        "a5", 'GETMETADATA "" (/shared/comment /shared/admin /shared/vendor/deltachat/irohrelay '
        '/shared/vendor/deltachat/turn /shared/vendor/deltachat/maxsmtprecipients '
        '/shared/vendor/deltachat/appversions)')
    assert untagged == [b'* METADATA "" (/shared/vendor/deltachat/maxsmtprecipients {4}\r\n1000)']
    assert tagged == "a5 OK Getmetadata completed."
    untagged, tagged = c.cmd("a6", 'SETMETADATA "INBOX" (/private/devicetoken "openpgp:QUJD")')
    assert tagged == "a6 OK Setmetadata completed."
    untagged, tagged = c.cmd("a7", 'SELECT "INBOX"')
    assert tagged == "a7 OK [READ-WRITE] Select completed."
    assert any(l.startswith(b"* OK [UIDVALIDITY ") for l in untagged)
    uidnext = [l for l in untagged if l.startswith(b"* OK [UIDNEXT ")]
    assert uidnext == [b"* OK [UIDNEXT 1] Predicted next UID."]

    # Deliver two messages from a second session while this one idles (IMAP-51).
    c.send("a8 IDLE\r\n")
    assert c.line() == b"+ idling"
    d = Raw(server.port("imap_port"))
    assert " OK " in d.cmd("b1", f"LOGIN {quote(USER)} {quote(PW)}")[1]
    t0 = time.monotonic()
    assert "OK [APPENDUID" in append(d, "b2")[1]
    assert c.line() == b"* 1 EXISTS"
    assert time.monotonic() - t0 < 1.0
    assert "OK [APPENDUID" in append(d, "b3", MSG.replace(b"m1@", b"m2@"))[1]
    lines = [c.line(), c.line()]
    assert b"* 2 EXISTS" in lines
    c.send("DONE\r\n")
    untagged, tagged = c.until("a8")
    assert tagged == "a8 OK Idle completed."

    untagged, tagged = c.cmd("a9", "UID STORE 1 +FLAGS (\\Seen)")
    # both arrived while this session had INBOX selected: \Recent here (IMAP-31, RFC 3501 2.3.2)
    assert untagged == [b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))"]
    untagged, tagged = c.cmd(
        "a10", f"UID FETCH 1:500 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HDR_FIELDS})])")
    assert tagged == "a10 OK Fetch completed."
    hdr1 = (b"From: Alice <alice@example.org>\r\nMessage-ID: <m1@example.org>\r\n"
            b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nChat-Version: 1.0\r\n\r\n")
    assert untagged[0] == (b"* 1 FETCH (UID 1 RFC822.SIZE %d BODY[HEADER.FIELDS (%s)] {%d}\r\n"
                           % (len(MSG), HDR_FIELDS.encode(), len(hdr1)) + hdr1 + b")")
    assert len(untagged) == 2 and untagged[1].startswith(b"* 2 FETCH (UID 2 RFC822.SIZE ")
    # Only UIDs inside [n, n+499] (DC-2 step 9).
    untagged, tagged = c.cmd("a11", "UID FETCH 2:501 (UID RFC822.SIZE)")
    assert untagged == [b"* 2 FETCH (UID 2 RFC822.SIZE %d)" % len(MSG)]

    untagged, tagged = c.cmd("a12", "UID FETCH 2 (FLAGS BODY.PEEK[])")
    m2 = MSG.replace(b"m1@", b"m2@")
    assert untagged == [b"* 2 FETCH (UID 2 FLAGS (\\Recent) BODY[] {%d}\r\n" % len(m2) + m2 + b")"]
    untagged, tagged = c.cmd("a13", "UID FETCH 2 (FLAGS)")
    assert untagged == [b"* 2 FETCH (UID 2 FLAGS (\\Recent))"], "BODY.PEEK must not set \\Seen"

    untagged, tagged = c.cmd("a14", "UID STORE 1:2 +FLAGS (\\Deleted)")
    assert tagged == "a14 OK Store completed."
    untagged, tagged = c.cmd("a15", "CLOSE")
    assert untagged == [] and tagged == "a15 OK Close completed."
    untagged, tagged = c.cmd("a16", 'SELECT "INBOX"')
    assert b"* 0 EXISTS" in untagged
    assert b"* OK [UIDNEXT 3] Predicted next UID." in untagged  # IMAP-54
    untagged, tagged = c.cmd("a17", "UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS "
                                    "(MESSAGE-ID X-MICROSOFT-ORIGINAL-MESSAGE-ID)])")
    assert untagged == [] and tagged == "a17 OK Fetch completed."
    untagged, tagged = c.cmd("a18", 'STATUS "INBOX" (UIDNEXT)')
    assert untagged == [b"* STATUS INBOX (UIDNEXT 3)"]
    untagged, tagged = c.cmd("a19", "LOGOUT")
    assert untagged == [b"* BYE Logging out."] and tagged == "a19 OK Logout completed."
    d.close()
    c.close()


def test_idle_keepalive_and_bad_done(server_factory):
    srv = server_factory(params={"imap_idle_keepalive": "1s"}).start()
    c = Raw(srv.port("imap_port"))
    assert " OK " in c.cmd("a1", f"LOGIN {quote(USER)} {quote(PW)}")[1]
    c.cmd("a2", "SELECT INBOX")
    c.send("a3 IDLE\r\n")
    assert c.line() == b"+ idling"
    assert c.line() == b"* OK Still here"
    c.send("NOPE\r\n")
    assert c.until("a3")[1] == "a3 BAD Expected DONE."
    assert c.cmd("a4", "NOOP")[1] == "a4 OK NOOP completed."


def test_external_file_noticed_at_noop(server):
    c = Raw(server.port("imap_port"))
    assert " OK " in c.cmd("a1", f"LOGIN {quote(USER)} {quote(PW)}")[1]
    c.cmd("a2", "SELECT INBOX")
    new = os.path.join(server.params["data_dir"], "mail", "example.org", USER, "new")
    path = os.path.join(new, "1700000000.M1P1Q1.test,S=%d,W=%d" % (len(MSG), len(MSG)))
    with open(path, "wb") as f:
        f.write(MSG)
    os.chmod(path, 0o666)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        untagged, tagged = c.cmd("a3", "NOOP")
        if b"* 1 EXISTS" in untagged:
            break
        time.sleep(0.1)
    else:
        pytest.fail("external delivery not noticed")


@pytest.mark.parametrize("compress", [False, True])
def test_large_message_roundtrip(server, compress):
    """A 10 MB message arrives byte-identical through FETCH (DC-5), also compressed."""
    c = dc_session(server, "plain", compress)
    body = b"".join(b"%07d abcdefghijklmnopqrstuvwxyz0123456789\r\n" % i for i in range(210000))
    msg = MSG + body
    assert "OK [APPENDUID" in append(c, "a4", msg)[1]
    c.cmd("a5", "SELECT INBOX")
    c.send("a6 UID FETCH 1 (UID RFC822.SIZE BODY.PEEK[])\r\n")
    full, lits = c.response_line()
    assert full.startswith(b"* 1 FETCH (UID 1 RFC822.SIZE %d BODY[] {%d}\r\n" % (len(msg), len(msg)))
    assert lits == [msg] and full.endswith(b")")
    assert c.until("a6")[1] == "a6 OK Fetch completed."
    c.send("a7 UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n")
    untagged, tagged = c.until("a7")
    assert untagged == [b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (MESSAGE-ID)] {32}\r\n"
                        b"Message-ID: <m1@example.org>\r\n\r\n)"]


def test_external_file_noticed_at_idle_wakeup(server):
    c = Raw(server.port("imap_port"))
    assert " OK " in c.cmd("a1", f"LOGIN {quote(USER)} {quote(PW)}")[1]
    c.cmd("a2", "SELECT INBOX")
    c.send("a3 IDLE\r\n")
    assert c.line() == b"+ idling"
    cur = os.path.join(server.params["data_dir"], "mail", "example.org", USER, "cur")
    path = os.path.join(cur, "1700000001.M2P2Q2.test,S=%d,W=%d:2,S" % (len(MSG), len(MSG)))
    with open(path, "wb") as f:
        f.write(MSG)
    os.chmod(path, 0o666)
    c.send("DONE\r\n")
    untagged, tagged = c.until("a3")
    assert b"* 1 EXISTS" in untagged and tagged == "a3 OK Idle completed."
    untagged, _ = c.cmd("a4", "FETCH 1 (FLAGS)")
    assert untagged == [b"* 1 FETCH (FLAGS (\\Seen))"]
