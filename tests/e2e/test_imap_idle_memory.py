"""IDLE sessions on a diet (issue 9): connections go dormant between updates
(net_conn.h) and sessions of one INBOX share their view (imap_view.h); the
client must not see any of it. Updates, keepalives (IMAP-52), DONE
(IMAP-51), flag and expunge updates per session (IMAP-49, IMAP-50) and the
shutdown goodbye (GEN-6) over implicit TLS and plain."""
import time

import pytest

from imap_helpers import MSG, Raw, append, quote

USER = "dormouse1@example.org"
PW = "secret-pass1"
KEEPALIVE = b"* OK Still here"


def session(srv, tls=False, user=USER):
    c = Raw(srv.port("imaps_port" if tls else "imap_port"), tls=tls)
    _, tagged = c.cmd("l1", f"LOGIN {quote(user)} {quote(PW)}")
    assert " OK " in tagged, tagged
    return c


def idle(c, tag):
    c.send(f"{tag} IDLE\r\n")
    assert c.line() == b"+ idling"


def updates(c, count):
    """The next count lines that are not keepalives."""
    out = []
    while len(out) < count:
        line = c.line()
        if line != KEEPALIVE:
            out.append(line)
    return out


def done(c, tag):
    """DONE; the untagged lines before the OK, without keepalives and the
    RECENT corrections of IMAP-31 (another session may claim a message)."""
    c.send("DONE\r\n")
    untagged, tagged = c.until(tag)
    assert tagged == f"{tag} OK Idle completed."
    return [l for l in untagged if l != KEEPALIVE and not l.endswith(b" RECENT")]


@pytest.mark.parametrize("tls", [True, False])
def test_idle_through_dormancy(server_factory, tls):
    srv = server_factory(params={"imap_idle_keepalive": "1s"}).start()
    c = session(srv, tls)
    w = session(srv)
    c.cmd("a1", "SELECT INBOX")
    idle(c, "a2")
    # Keepalives come from the dormant connection, again and again.
    assert c.line() == KEEPALIVE
    assert c.line() == KEEPALIVE
    append(w, "w1")
    assert updates(c, 2) == [b"* 1 EXISTS", b"* 1 RECENT"]
    time.sleep(0.3)  # dormant again
    assert done(c, "a2") == []
    untagged, tagged = c.cmd("a3", "FETCH 1 (UID FLAGS)")
    assert untagged == [b"* 1 FETCH (UID 1 FLAGS (\\Recent))"]  # the only session selecting
    # A second IDLE, ended while dormant; the session goes on as usual.
    idle(c, "a4")
    time.sleep(0.3)
    assert done(c, "a4") == []
    assert c.cmd("a5", "NOOP")[1] == "a5 OK NOOP completed."
    assert c.cmd("a6", "LOGOUT")[1] == "a6 OK Logout completed."


def no_recent(lines):
    """Which of several selecting sessions holds \\Recent (IMAP-31) is not the point here."""
    return [l.replace(b" \\Recent", b"").replace(b"\\Recent", b"") for l in lines]


def test_sessions_sharing_inbox_see_their_own_updates(server_factory):
    srv = server_factory().start()
    w = session(srv)
    for i in range(3):
        append(w, f"w{i}", MSG.replace(b"m1@", b"m%d@" % i))
    idlers = [session(srv, tls=(i % 2 == 0)) for i in range(4)]
    for i, c in enumerate(idlers):
        untagged, _ = c.cmd(f"s{i}", "SELECT INBOX")
        assert b"* 3 EXISTS" in untagged
    p = session(srv)  # selected, not idling: its updates wait for a command
    p.cmd("p1", "SELECT INBOX")
    for i, c in enumerate(idlers):
        idle(c, f"i{i}")
    time.sleep(0.3)
    w.cmd("w3", "SELECT INBOX")
    w.cmd("w4", "STORE 2 +FLAGS.SILENT (\\Seen)")
    for c in idlers:
        assert no_recent(updates(c, 1)) == [b"* 2 FETCH (UID 2 FLAGS (\\Seen))"]
    w.cmd("w5", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    w.cmd("w6", "EXPUNGE")
    for c in idlers:
        assert no_recent(updates(c, 2)) == [b"* 1 FETCH (UID 1 FLAGS (\\Deleted))",
                                              b"* 1 EXPUNGE"]
    # Half of them leave IDLE; the others see a new message while the first
    # half's views have moved on.
    for i, c in enumerate(idlers[:2]):
        assert done(c, f"i{i}") == []
        untagged, _ = c.cmd(f"f{i}", "FETCH 1:* (UID FLAGS)")
        assert no_recent(untagged) == [b"* 1 FETCH (UID 2 FLAGS (\\Seen))", b"* 2 FETCH (UID 3 FLAGS ())"]
    append(w, "w7", MSG.replace(b"m1@", b"m9@"))
    for i, c in enumerate(idlers[2:], 2):
        assert updates(c, 2)[0] == b"* 3 EXISTS"
        assert done(c, f"i{i}") == []
        untagged, _ = c.cmd(f"f{i}", "UID FETCH 1:* (UID)")
        assert [l.split(b" (")[1] for l in untagged] == [b"UID 2)", b"UID 3)", b"UID 4)"]
    for i, c in enumerate(idlers[:2]):
        untagged, _ = c.cmd(f"n{i}", "NOOP")
        assert b"* 3 EXISTS" in untagged
    # The session that was not idling gets everything at its next command.
    untagged, _ = p.cmd("p2", "NOOP")
    assert b"* 1 EXPUNGE" in untagged and b"* 3 EXISTS" in untagged
    untagged, _ = p.cmd("p3", "FETCH 1:* (UID FLAGS)")
    assert no_recent(untagged) == [b"* 1 FETCH (UID 2 FLAGS (\\Seen))", b"* 2 FETCH (UID 3 FLAGS ())",
                        b"* 3 FETCH (UID 4 FLAGS ())"]


def test_shutdown_and_vanished_clients_while_dormant(server_factory):
    srv = server_factory().start()
    gone = session(srv, tls=True)
    gone.cmd("g1", "SELECT INBOX")
    idle(gone, "g2")
    idlers = [session(srv, tls=(i % 2 == 0)) for i in range(3)]
    for i, c in enumerate(idlers):
        c.cmd(f"s{i}", "SELECT INBOX")
        idle(c, f"i{i}")
    time.sleep(0.3)
    gone.close()  # EOF on a dormant connection
    time.sleep(0.3)
    c = session(srv)
    assert c.cmd("a1", "NOOP")[1] == "a1 OK NOOP completed."
    srv.signal(15)
    for c in idlers:
        assert c.line() == b"* BYE Server shutting down."
    assert srv.wait() == 0
