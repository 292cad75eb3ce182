"""IMAP engine: syntax, literals and limits, states, two-session updates,
UID invariants, METADATA, COPY/MOVE, mailboxes (SPEC 12, META-1..6)."""
import imaplib
import time

import pytest

from imap_helpers import MSG, Raw, append, quote

USER = "engineer1@example.org"
PW = "secret-pass1"


def logged_in(server, user=USER, pw=PW):
    c = Raw(server.port("imap_port"))
    untagged, tagged = c.cmd("l1", f"LOGIN {quote(user)} {quote(pw)}")
    assert " OK " in tagged, tagged
    return c


def test_login_with_synchronising_and_non_synchronising_literals(server):
    c = Raw(server.port("imap_port"))
    pw = 'we"ird\\pass{1}'
    c.send(f"a1 LOGIN {{{len(USER)}}}\r\n")
    assert c.line() == b"+ Ready for literal data."
    c.send(f"{USER} {{{len(pw)}+}}\r\n{pw}\r\n")
    untagged, tagged = c.until("a1")
    assert tagged.startswith("a1 OK [CAPABILITY IMAP4rev1 ") and tagged.endswith("Logged in.")
    # The same password with quoted-string escapes works in a second session.
    d = Raw(server.port("imap_port"))
    assert " OK " in d.cmd("b1", f"LOGIN {quote(USER)} {quote(pw)}")[1]
    e = Raw(server.port("imap_port"))
    assert e.cmd("c1", f"LOGIN {quote(USER)} \"wrong-pass\"")[1] == \
        "c1 NO [AUTHENTICATIONFAILED] Authentication failed."


def test_imaplib_login_and_select(server):
    m = imaplib.IMAP4("127.0.0.1", server.port("imap_port"))
    m.login(USER, PW)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    typ, data = m.append("INBOX", "(\\Flagged)", None, MSG)
    assert typ == "OK" and b"APPENDUID" in data[0]
    typ, data = m.uid("FETCH", "1", "(FLAGS RFC822.SIZE)")
    assert typ == "OK" and b"\\Flagged" in data[0] and b"RFC822.SIZE %d" % len(MSG) in data[0]
    m.logout()


def test_over_limit_literals_are_refused_and_session_survives(server):
    c = logged_in(server)
    # Synchronising: no continuation, BAD at once (IMAP-11).
    c.send("a1 SELECT {70000}\r\n")
    assert c.line() == b"a1 BAD Literal too large."
    # Non-synchronising: the octets are read and discarded, then BAD.
    c.send(b"a2 SELECT {70000+}\r\n" + b"x" * 70000 + b"\r\n")
    assert c.until("a2")[1] == "a2 BAD Literal too large."
    assert c.cmd("a3", "NOOP")[1] == "a3 OK NOOP completed."


def test_append_too_large_and_empty(server_factory):
    srv = server_factory(params={"max_message_size": "1000"}).start()
    c = logged_in(srv)
    c.send("a1 APPEND INBOX {2000}\r\n")
    assert c.line() == b"a1 NO [TOOBIG] Message too large."
    c.send(b"a2 APPEND INBOX {2000+}\r\n" + b"y" * 2000 + b"\r\n")
    assert c.until("a2")[1] == "a2 NO [TOOBIG] Message too large."
    c.send("a3 APPEND INBOX {0}\r\n")
    assert c.line().startswith(b"+ ")
    c.send("\r\n")
    assert c.until("a3")[1] == "a3 NO Empty message."
    assert c.cmd("a4", "APPEND Nope {1+}\r\nx")[1] == "a4 NO [TRYCREATE] Mailbox doesn't exist."
    assert c.cmd("a5", "NOOP")[1] == "a5 OK NOOP completed."


def test_huge_declared_literal_closes(server):
    c = logged_in(server)
    c.send("a1 LOGIN {99999999999}\r\n")
    assert c.line() == b"* BYE Literal too large."
    with pytest.raises((EOFError, OSError)):
        c.line()


def test_wrong_state_unknown_command_and_bad_tag(server):
    c = Raw(server.port("imap_port"))
    assert c.cmd("a1", "SELECT INBOX")[1] == "a1 BAD Command not valid in this state."
    assert c.cmd("a2", "FROB")[1] == "a2 BAD Unknown command."
    c.send("+x NOOP\r\n")
    assert c.line() == b"* BAD Invalid tag."
    c.cmd("a3", f"LOGIN {quote(USER)} {quote(PW)}")
    assert c.cmd("a4", "FETCH 1 FLAGS")[1] == "a4 BAD Command not valid in this state."
    assert c.cmd("a5", "LOGIN a b")[1] == "a5 BAD Command not valid in this state."
    c.cmd("a6", "SELECT INBOX")
    assert c.cmd("a7", "FETCH 5 FLAGS")[1] == "a7 BAD Invalid message sequence number."
    assert c.cmd("a8", "UID FETCH 5 FLAGS")[1] == "a8 OK Fetch completed."


def test_ten_bad_commands_close(server):
    c = Raw(server.port("imap_port"))
    for i in range(9):
        assert c.cmd(f"b{i}", "BOGUS")[1] == f"b{i} BAD Unknown command."
    c.send("b9 BOGUS\r\n")
    assert c.line() == b"b9 BAD Unknown command."
    assert c.line() == b"* BYE Too many invalid commands."


def test_pipelined_commands_answered_in_order(server):
    c = logged_in(server)
    c.send("p1 NOOP\r\np2 SELECT INBOX\r\np3 UID FETCH 1:* FLAGS\r\np4 NAMESPACE\r\n")
    tags = []
    while len(tags) < 4:
        line = c.line()
        if not line.startswith(b"*"):
            tags.append(line.split(b" ")[0])
    assert tags == [b"p1", b"p2", b"p3", b"p4"]


def test_two_sessions_see_flags_and_expunges(server):
    a = logged_in(server)
    b = logged_in(server)
    a.cmd("a1", "SELECT INBOX")
    for i in range(3):
        append(a, f"ap{i}", MSG.replace(b"m1@", b"m%d@" % i))
    b.cmd("b1", "SELECT INBOX")
    untagged, tagged = a.cmd("a2", "STORE 2 +FLAGS.SILENT (\\Seen $Label1)")
    assert untagged == [] and tagged == "a2 OK Store completed."
    untagged, _ = b.cmd("b2", "NOOP")
    assert untagged == [b"* 2 FETCH (UID 2 FLAGS (\\Seen $Label1))"]
    a.cmd("a3", "STORE 1 +FLAGS (\\Deleted)")
    untagged, tagged = a.cmd("a4", "EXPUNGE")
    assert untagged == [b"* 1 EXPUNGE"] and tagged == "a4 OK Expunge completed."
    # No EXPUNGE during FETCH (IMAP-50): b still sees 3 messages there.
    untagged, tagged = b.cmd("b3", "FETCH 1:3 (UID)")
    assert b"EXPUNGE" not in b"".join(untagged)
    assert [l for l in untagged if b"FETCH" in l][0].startswith(b"* 1 FETCH (UID 1")
    untagged, _ = b.cmd("b4", "NOOP")
    assert b"* 1 EXPUNGE" in untagged
    untagged, _ = b.cmd("b5", "FETCH 1:* (UID FLAGS)")
    assert untagged == [b"* 1 FETCH (UID 2 FLAGS (\\Seen $Label1))",
                        b"* 2 FETCH (UID 3 FLAGS ())"]


def test_condstore_unchangedsince_and_modseq(server):
    c = logged_in(server)
    untagged, _ = c.cmd("a1", "SELECT INBOX (CONDSTORE)")
    append(c, "a2")
    untagged, _ = c.cmd("a3", "FETCH 1 (MODSEQ)")
    modseq = int(untagged[0].split(b"MODSEQ (")[1].split(b")")[0])
    untagged, tagged = c.cmd("a4", f"STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Flagged)")
    assert tagged == "a4 OK Store completed."
    # APPEND into the selected mailbox: the message is \Recent here (RFC 3501 6.3.11)
    assert untagged[0].startswith(b"* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (")
    untagged, tagged = c.cmd("a5", f"STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Seen)")
    assert tagged == "a5 OK [MODIFIED 1] Conditional STORE failed."


def test_uidnext_never_decreases_after_expunging_everything(server_factory):
    srv = server_factory().start()
    c = logged_in(srv)
    c.cmd("a1", "SELECT INBOX")
    for i in range(3):
        append(c, f"ap{i}")
    c.cmd("a2", "STORE 1:* +FLAGS (\\Deleted)")
    c.cmd("a3", "EXPUNGE")
    untagged, _ = c.cmd("a4", "STATUS INBOX (UIDNEXT MESSAGES)")
    assert untagged == [b"* STATUS INBOX (UIDNEXT 4 MESSAGES 0)"]
    c.close()
    assert srv.stop() == 0
    open(srv.log_path, "w").close()  # wait for the new "ready"
    srv.start()
    for _ in range(50):  # bounded: the listener may lag the log line
        try:
            c = logged_in(srv)
            break
        except OSError:
            time.sleep(0.1)
    untagged, _ = c.cmd("b1", "SELECT INBOX")
    assert b"* OK [UIDNEXT 4] Predicted next UID." in untagged
    assert append(c, "b2")[1].endswith(" 4] Append completed.")


def test_metadata_get_set_with_literals(server_factory):
    srv = server_factory(params={"privacy_mail": "privacy@example.org",
                                 "turn_secret": "north", "iroh_relay": "https://iroh.example.org"}).start()
    c = logged_in(srv)
    untagged, tagged = c.cmd("a1", 'GETMETADATA "" /shared/admin')
    assert untagged == [b'* METADATA "" (/shared/admin {26}\r\nmailto:privacy@example.org)']
    untagged, tagged = c.cmd("a2", 'GETMETADATA "" (/shared/vendor/deltachat/turn)')
    value = untagged[0].split(b"\r\n", 1)[1][:-1]
    host, port, expiry, password = value.split(b":")
    assert port == b"3478" and int(expiry) > time.time() and len(password) == 28
    untagged, tagged = c.cmd("a3", 'GETMETADATA (MAXSIZE 5) "" (/shared/admin /shared/comment)')
    assert untagged == [] and tagged == "a3 OK [METADATA LONGENTRIES 26] Getmetadata completed."
    untagged, tagged = c.cmd("a4", "GETMETADATA (DEPTH infinity) \"\" /shared/vendor/deltachat")
    assert b"/shared/vendor/deltachat/irohrelay {24}\r\nhttps://iroh.example.org" in untagged[0]
    token = "openpgp:QUJDREVG"
    c.send(f"a5 SETMETADATA INBOX (/private/devicetoken {{{len(token)}}}\r\n")
    assert c.line() == b"+ Ready for literal data."
    c.send(token + ")\r\n")
    assert c.until("a5")[1] == "a5 OK Setmetadata completed."
    assert c.cmd("a51", 'SETMETADATA "INBOX" (/private/devicetoken "second:tok")')[1] == \
        "a51 OK Setmetadata completed."
    untagged, tagged = c.cmd("a52", "GETMETADATA INBOX (/private/devicetoken)")
    assert tagged == "a52 OK Getmetadata completed."
    assert len(untagged) == 1 and untagged[0].startswith(b"* METADATA INBOX (/private/devicetoken {")
    assert b"openpgp:QUJDREVG" in untagged[0] and b"second:tok" in untagged[0]
    assert c.cmd("a6", "SETMETADATA INBOX (/private/devicetoken NIL)")[1] == \
        "a6 OK Setmetadata completed."
    untagged, tagged = c.cmd("a61", "GETMETADATA INBOX /private/devicetoken")
    assert untagged == [] and tagged == "a61 OK Getmetadata completed."
    assert c.cmd("a7", 'SETMETADATA INBOX (/private/devicetoken "a b")')[1] == \
        "a7 NO [CANNOT] Invalid device token."
    assert c.cmd("a8", 'SETMETADATA "" (/shared/comment "x")')[1] == \
        "a8 NO [CANNOT] This entry cannot be set."
    big = "x" * 9000
    assert c.cmd("a9", f"SETMETADATA INBOX (/private/devicetoken {{{len(big)}+}}\r\n{big})")[1] \
        == "a9 NO [METADATA MAXSIZE 8192]"


def test_copy_move_create_list(server):
    c = logged_in(server)
    assert c.cmd("a1", "CREATE Archive")[1] == "a1 OK Create completed."
    assert c.cmd("a2", "CREATE archive2.sub")[1] == "a2 OK Create completed."
    assert c.cmd("a3", "CREATE INBOX")[1] == "a3 NO [ALREADYEXISTS] Mailbox already exists."
    untagged, _ = c.cmd("a4", 'LIST "" "*"')
    assert b'* LIST (\\HasNoChildren \\Archive) "." Archive' in untagged
    assert b'* LIST (\\HasNoChildren) "." INBOX' in untagged
    c.cmd("a5", "SELECT INBOX")
    append(c, "a6")
    append(c, "a7")
    untagged, tagged = c.cmd("a8", "UID COPY 1:2 Archive")
    assert tagged.startswith("a8 OK [COPYUID ") and tagged.endswith(" 1:2 1:2] Copy completed.")
    assert c.cmd("a9", "COPY 1 Nope")[1] == "a9 NO [TRYCREATE] Mailbox doesn't exist."
    untagged, tagged = c.cmd("b1", "UID MOVE 2 Archive")
    assert untagged[0].startswith(b"* OK [COPYUID ") and untagged[0].endswith(b" 2 3] Moved.")
    assert untagged[1] == b"* 2 EXPUNGE" and tagged == "b1 OK Move completed."
    untagged, _ = c.cmd("b2", "STATUS Archive (MESSAGES UIDNEXT UNSEEN)")
    assert untagged == [b"* STATUS Archive (MESSAGES 3 UIDNEXT 4 UNSEEN 3)"]
    untagged, tagged = c.cmd("b3", "EXAMINE Archive")
    assert tagged == "b3 OK [READ-ONLY] Examine completed."
    assert b"* OK [PERMANENTFLAGS ()] Read-only mailbox." in untagged
    assert c.cmd("b4", "STORE 1 +FLAGS (\\Seen)")[1] == "b4 NO [READ-ONLY] Mailbox is read-only."
    assert c.cmd("b5", "DELETE INBOX")[1] == "b5 NO [CANNOT] INBOX cannot be deleted."
    assert c.cmd("b6", "DELETE Archive")[1] == "b6 OK Delete completed."
    assert c.cmd("b7", "SELECT Archive")[1] == "b7 NO [NONEXISTENT] Mailbox doesn't exist."


def test_fetch_seen_side_effect_and_sections(server):
    c = logged_in(server)
    c.cmd("a1", "SELECT INBOX")
    mp = (b"From: a@example.org\r\nSubject: mp\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
          b"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
          b"--XX\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--XX--\r\n")
    append(c, "a2", mp)
    untagged, _ = c.cmd("a3", "FETCH 1 (BODY[1] BODY[2.MIME] BODY[TEXT]<0.4>)")
    assert untagged == [b"* 1 FETCH (BODY[1] {5}\r\nhello BODY[2.MIME] {42}\r\n"
                        b"Content-Type: application/octet-stream\r\n\r\n"
                        b" BODY[TEXT]<0> {4}\r\n--XX FLAGS (\\Seen \\Recent))"]
    untagged, _ = c.cmd("a4", "FETCH 1 (BODYSTRUCTURE)")
    assert untagged[0].startswith(b'* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" NIL NIL NIL '
                                  b'"7BIT" 5 1 NIL NIL NIL NIL)("APPLICATION" "OCTET-STREAM" '
                                  b'NIL NIL NIL "7BIT" 4 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" '
                                  b'"XX") NIL NIL NIL))')


def test_login_timeout(server_factory):
    srv = server_factory(params={"imap_login_timeout": "1s"}).start()
    c = Raw(srv.port("imap_port"))
    assert c.line() == b"* BYE Login timeout."


def test_shutdown_says_bye(server_factory):
    srv = server_factory().start()
    c = logged_in(srv)
    c.cmd("a1", "SELECT INBOX")
    srv.signal(15)
    assert c.line() == b"* BYE Server shutting down."
    assert srv.wait() == 0


def test_search(server):
    c = logged_in(server)
    c.cmd("a1", "SELECT INBOX")
    append(c, "a2")
    append(c, "a3", MSG.replace(b"Subject: hello", b"Subject: other").replace(b"body line", b"xyz"))
    c.cmd("a4", "STORE 2 +FLAGS (\\Seen)")
    assert c.cmd("a5", "SEARCH UNSEEN")[0] == [b"* SEARCH 1"]
    assert c.cmd("a6", "UID SEARCH SEEN")[0] == [b"* SEARCH 2"]
    assert c.cmd("a7", "SEARCH SUBJECT OTHER")[0] == [b"* SEARCH 2"]
    assert c.cmd("a8", "SEARCH BODY \"line 2\"")[0] == [b"* SEARCH 1"]
    assert c.cmd("a9", "SEARCH OR SEEN LARGER 1 NOT DELETED")[0] == [b"* SEARCH 1 2"]
    assert c.cmd("b1", "SEARCH HEADER Chat-Version \"\" SENTON 1-Jan-2024")[0] == [b"* SEARCH 1 2"]
    untagged, tagged = c.cmd("b2", "SEARCH MODSEQ 1")
    assert untagged[0].startswith(b"* SEARCH 1 2 (MODSEQ ")
    assert c.cmd("b3", "SEARCH CHARSET KOI8-R ALL")[1] == \
        "b3 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset."
    assert c.cmd("b4", "SEARCH 3")[1] == "b4 BAD Invalid message sequence number."


def test_rename_and_lsub(server):
    c = logged_in(server)
    c.cmd("a1", "CREATE Work.Sub")
    assert c.cmd("a2", "RENAME Work Job")[1] == "a2 OK Rename completed."
    untagged, _ = c.cmd("a3", 'LIST "" "Job*"')
    assert untagged == [b'* LIST (\\HasChildren) "." Job', b'* LIST (\\HasNoChildren) "." Job.Sub']
    assert c.cmd("a4", "RENAME Nope X")[1] == "a4 NO [NONEXISTENT] Mailbox doesn't exist."
    assert c.cmd("a5", "SUBSCRIBE Job")[1] == "a5 OK Subscribe completed."
    assert c.cmd("a6", "SUBSCRIBE Sent")[1] == "a6 OK Subscribe completed."
    untagged, _ = c.cmd("a7", 'LSUB "" "*"')
    assert untagged == [b'* LSUB () "." Job', b'* LSUB (\\Sent) "." Sent']
    assert c.cmd("a8", "UNSUBSCRIBE Other")[1] == "a8 NO [NONEXISTENT] Not subscribed."


def test_append_over_quota_right_after_login(server_factory):
    """IMAP-44: the early NO needs no SELECT or GETQUOTAROOT first; the limit is read at login."""
    srv = server_factory(params={"max_mailbox_size": "2K"}).start()
    c = logged_in(srv)
    c.send("a1 APPEND INBOX {3000}\r\n")
    assert c.line() == b"a1 NO [OVERQUOTA] Quota exceeded."
    assert "OK [APPENDUID" in append(c, "a2")[1]


def test_append_over_quota(server_factory):
    srv = server_factory(params={"max_mailbox_size": "2K"}).start()
    c = logged_in(srv)
    untagged, _ = c.cmd("a1", "GETQUOTAROOT INBOX")
    assert untagged == [b'* QUOTAROOT INBOX ""', b'* QUOTA "" (STORAGE 0 2)']
    c.send("a2 APPEND INBOX {3000}\r\n")
    assert c.line() == b"a2 NO [OVERQUOTA] Quota exceeded."
    big = b"Subject: x\r\n\r\n" + b"z" * 3000
    c.send(b"a3 APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
    assert c.until("a3")[1] == "a3 NO [OVERQUOTA] Quota exceeded."
    assert "OK [APPENDUID" in append(c, "a4")[1]
    c.cmd("a5", "SELECT INBOX")
    assert c.cmd("a6", "COPY 1:* INBOX")[1].startswith("a6 OK [COPYUID ")
    assert c.cmd("a7", "COPY 1:* INBOX")[1].startswith("a7 OK [COPYUID ")
    assert c.cmd("a8", "COPY 1:* INBOX")[1].startswith("a8 OK [COPYUID ")  # 8 x 185 octets
    untagged, tagged = c.cmd("a9", "COPY 1:* INBOX")
    assert tagged == "a9 NO [OVERQUOTA] Quota exceeded."
    untagged, _ = c.cmd("b1", "STATUS INBOX (MESSAGES)")
    # mailbox updates of the earlier copies may still arrive untagged here (RFC 3501 7)
    status = [u for u in untagged if u.startswith(b"* STATUS ")]
    assert status == [b"* STATUS INBOX (MESSAGES 8)"], untagged  # nothing of the failed copy


def test_shutdown_lets_append_finish(server_factory):
    srv = server_factory().start()
    c = logged_in(srv)
    c.send(f"a1 APPEND INBOX {{{len(MSG)}}}\r\n")
    assert c.line().startswith(b"+ ")
    c.send(MSG[:20])
    time.sleep(0.2)
    srv.signal(15)
    time.sleep(0.3)
    c.send(MSG[20:] + b"\r\n")
    untagged, tagged = c.until("a1")
    assert tagged.startswith("a1 OK [APPENDUID ")
    assert c.line() == b"* BYE Server shutting down."
    assert srv.wait() == 0


def test_list_noselect_parent(server):
    c = logged_in(server)
    c.cmd("a1", "CREATE Top.Mid.Leaf")
    assert c.cmd("a2", "DELETE Top")[1] == "a2 OK Delete completed."
    untagged, _ = c.cmd("a3", 'LIST "" "%"')
    assert b'* LIST (\\Noselect \\HasChildren) "." Top' in untagged
    assert b'* LIST (\\HasNoChildren) "." INBOX' in untagged
    untagged, _ = c.cmd("a4", 'LIST "" "*"')
    assert b'* LIST (\\HasChildren) "." Top.Mid' in untagged
    assert not any(b"Noselect" in l for l in untagged)
    assert c.cmd("a5", 'LIST "" ""')[0] == [b'* LIST (\\Noselect) "." ""']


def test_recent_in_exactly_one_session(server):
    a = logged_in(server)
    b = logged_in(server)
    x = logged_in(server)
    a.cmd("a1", "SELECT INBOX")
    b.cmd("b1", "SELECT INBOX")
    append(x, "x1")
    time.sleep(0.3)  # both claims have answered

    def recent_of(c, tag):
        c.cmd(tag + "n", "NOOP")
        untagged, _ = c.cmd(tag, "SEARCH RECENT")
        line = [l for l in untagged if l.startswith(b"* SEARCH")][0]
        return len(line.split()) - 2

    assert recent_of(a, "a2") + recent_of(b, "b2") == 1
    # FETCH FLAGS shows \Recent in that one session only (RFC 3501 2.3.2)
    flags = [c.cmd(t, "FETCH 1 (FLAGS)")[0][0] for c, t in ((a, "a3"), (b, "b3"))]
    assert sorted(flags) == [b"* 1 FETCH (FLAGS ())", b"* 1 FETCH (FLAGS (\\Recent))"]
    untagged, _ = x.cmd("x2", "EXAMINE INBOX")
    assert b"* 1 EXISTS" in untagged and b"* 0 RECENT" in untagged
