"""Submission with remote recipients (SUB-10, SUB-11, FED-9, FED-10, DKIM-1).

A mixed local + remote submission: the local copy lands in the Maildir,
the remote part goes through the outbound queue to a mock /mxdeliv peer
reached through [routes], DKIM-signed because the mail domain is a name.
"""
import glob
import os
import re
import time

from imap_helpers import login as imap_login
from test_queue_http import MockPeer, queue_files, run_cli
from test_smtp_engine import FAST, Conn, fixture, make_account, wait_files


def submit_server(server_factory, routes, **params):
    p = dict(FAST)
    p.update({"queue_retry_initial": "1s", "queue_retry_max": "2s"})
    p.update(params)
    return server_factory(params=p, routes=routes).start()


def test_mixed_local_and_remote(server_factory):
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        srv = submit_server(server_factory, {"peer.test": f"{peer.url()} -"})
        make_account(srv, "bob@example.org")
        c = Conn(srv)
        c.ehlo()
        c.login("alice@example.org")
        msg = fixture("encrypted.eml", "alice@example.org", "carol@peer.test", "secret")
        msg = b"Received: from client\r\nUser-Agent: x\r\n" + msg
        assert c.message("alice@example.org", ["bob@example.org", "Carol@Peer.test"], msg) == \
            "250 2.0.0 OK"
        c.cmd("QUIT")
        c.close()
        files = wait_files(srv, "bob@example.org")
        assert len(files) == 1
        local = open(files[0], "rb").read()
        assert b"DKIM-Signature" not in local.split(b"\r\n\r\n")[0]  # HDR-2
        assert peer.wait(1, timeout=15), srv.log()
        req = peer.requests[0]
        assert req["from"] == ["alice@example.org"]
        assert req["to"] == ["carol@peer.test"]  # only the remote recipient
        head = req["body"].split(b"\r\n\r\n")[0]
        assert head.startswith(b"DKIM-Signature: ")  # DKIM-1
        assert b"d=example.org" in head
        assert b"Subject: [...]" in head  # HDR-1 before signing
        assert b"Received:" not in head and b"User-Agent:" not in head
        deadline = time.monotonic() + 10
        while queue_files(srv) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not queue_files(srv), srv.log()
        assert len(peer.requests) == 1
        srv.assert_clean_log()
    finally:
        peer.close()


def test_remote_policy_at_rcpt(server_factory):
    srv = submit_server(server_factory, {},
                        federation_policy="allowlist",
                        federation_allowlist="ok.test blocked.test",
                        sender_blocklist="bad@ok.test")
    assert run_cli(srv, "block", "add", "@blocked.test").returncode == 0
    c = Conn(srv)
    c.ehlo()
    c.login("alice@example.org")
    assert c.cmd("MAIL FROM:<alice@example.org>") == "250 2.1.0 OK"
    assert c.cmd("RCPT TO:<x@other.test>") == \
        "550 5.7.1 <x@other.test>: Recipient domain not allowed"  # FED-9
    assert c.cmd("RCPT TO:<bad@ok.test>") == \
        "550 5.7.1 <bad@ok.test>: Recipient domain not allowed"  # FED-10
    assert c.cmd("RCPT TO:<x@blocked.test>") == \
        "550 5.7.1 <x@blocked.test>: Recipient domain not allowed"  # FED-10, CLI block
    assert c.cmd("RCPT TO:<good@ok.test>") == "250 2.1.5 OK"
    c.close()


def test_remote_only_submission_is_queued(server_factory):
    """The peer is down: the 250 comes once the entry is durable in the queue."""
    srv = submit_server(server_factory, {"peer.test": "http://127.0.0.1:1/mxdeliv -"})
    c = Conn(srv)
    c.ehlo()
    c.login("alice@example.org")
    msg = fixture("encrypted.eml", "alice@example.org", "carol@peer.test")
    assert c.message("alice@example.org", ["carol@peer.test"], msg) == "250 2.0.0 OK"
    c.close()
    assert len(queue_files(srv)) == 1


def inbox_status(srv, addr):
    c = imap_login(srv.port("imap_port"), addr, "password123")
    untagged, tagged = c.cmd("s1", "STATUS INBOX (UIDNEXT MESSAGES)")
    c.close()
    assert " OK " in tagged, tagged
    line = [u for u in untagged if u.startswith(b"* STATUS")][0].decode()
    return (int(re.search(r"UIDNEXT (\d+)", line).group(1)),
            int(re.search(r"MESSAGES (\d+)", line).group(1)))


def test_queue_failure_stores_no_local_copy(server_factory):
    """SUB-11: the queue entry cannot be written: 451, and no local copy was ever stored.

    The entry is written before the local copies, so the INBOX never saw
    the message: UIDNEXT has not moved (a copy stored and expunged again
    would have used a UID). A retry then gives one copy and one entry.
    """
    srv = submit_server(server_factory, {"peer.test": "http://127.0.0.1:1/mxdeliv -"})
    make_account(srv, "bob@example.org")
    assert inbox_status(srv, "bob@example.org") == (1, 0)
    qdir = os.path.join(srv.params["data_dir"], "queue")
    mode = os.stat(qdir).st_mode & 0o777
    msg = fixture("encrypted.eml", "alice@example.org", "carol@peer.test")
    c = Conn(srv)
    c.ehlo()
    c.login("alice@example.org")
    os.chmod(qdir, 0o500)
    try:
        assert c.message("alice@example.org", ["bob@example.org", "carol@peer.test"], msg) == \
            "451 4.3.0 Temporary local error, try again later"
    finally:
        os.chmod(qdir, mode)
    assert inbox_status(srv, "bob@example.org") == (1, 0), srv.log()
    assert wait_files(srv, "bob@example.org", timeout=1) == []
    assert c.message("alice@example.org", ["bob@example.org", "carol@peer.test"], msg) == \
        "250 2.0.0 OK"
    c.close()
    assert len(wait_files(srv, "bob@example.org")) == 1
    assert len(queue_files(srv)) == 1
    assert inbox_status(srv, "bob@example.org") == (2, 1)


def test_local_failure_removes_queue_entry(server_factory):
    """SUB-11: the local copy cannot be stored: 451, and the written queue entry is gone again.

    Nothing reaches the peer, not even later: the entry never entered the
    scheduler and its files are removed. A retry then gives one of each.
    """
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        srv = submit_server(server_factory, {"peer.test": f"{peer.url()} -"})
        make_account(srv, "bob@example.org")
        inbox = glob.glob(os.path.join(srv.params["data_dir"], "mail", "*",
                                       "bob@example.org", "tmp"))[0]
        mode = os.stat(inbox).st_mode & 0o777
        msg = fixture("encrypted.eml", "alice@example.org", "carol@peer.test")
        c = Conn(srv)
        c.ehlo()
        c.login("alice@example.org")
        os.chmod(inbox, 0o500)
        try:
            assert c.message("alice@example.org", ["bob@example.org", "carol@peer.test"],
                             msg) == "451 4.3.0 Temporary local error, try again later"
        finally:
            os.chmod(inbox, mode)
        qdir = os.path.join(srv.params["data_dir"], "queue")
        assert [f for f in os.listdir(qdir)
                if os.path.isfile(os.path.join(qdir, f))] == [], srv.log()  # .msg too
        assert wait_files(srv, "bob@example.org", timeout=1) == []
        assert not peer.wait(1, timeout=2)
        assert c.message("alice@example.org", ["bob@example.org", "carol@peer.test"], msg) == \
            "250 2.0.0 OK"
        c.close()
        assert len(wait_files(srv, "bob@example.org")) == 1
        assert peer.wait(1, timeout=15), srv.log()
        time.sleep(0.5)
        assert len(peer.requests) == 1
    finally:
        peer.close()


def test_partial_local_failure_removes_every_copy(server_factory):
    """SUB-11, SMTP-10: one local copy fails: 451, and the copy that was stored goes again.

    bob's INBOX refuses the file, dave's takes it: dave's copy is expunged
    (MESSAGES back to 0, UIDNEXT moved once), the held queue entry removed,
    nothing reaches the peer. A retry then gives exactly one of each.
    """
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        srv = submit_server(server_factory, {"peer.test": f"{peer.url()} -"})
        make_account(srv, "bob@example.org")
        make_account(srv, "dave@example.org")
        tmp = glob.glob(os.path.join(srv.params["data_dir"], "mail", "*",
                                     "bob@example.org", "tmp"))[0]
        mode = os.stat(tmp).st_mode & 0o777
        msg = fixture("encrypted.eml", "alice@example.org", "carol@peer.test")
        rcpts = ["bob@example.org", "dave@example.org", "carol@peer.test"]
        c = Conn(srv)
        c.ehlo()
        c.login("alice@example.org")
        os.chmod(tmp, 0o500)
        try:
            assert c.message("alice@example.org", rcpts, msg) == \
                "451 4.3.0 Temporary local error, try again later"
        finally:
            os.chmod(tmp, mode)
        assert inbox_status(srv, "dave@example.org") == (2, 0), srv.log()
        assert wait_files(srv, "dave@example.org", timeout=1) == []
        qdir = os.path.join(srv.params["data_dir"], "queue")
        assert [f for f in os.listdir(qdir) if os.path.isfile(os.path.join(qdir, f))] == []
        assert c.message("alice@example.org", rcpts, msg) == "250 2.0.0 OK"
        c.close()
        assert len(wait_files(srv, "bob@example.org")) == 1
        assert len(wait_files(srv, "dave@example.org")) == 1
        assert inbox_status(srv, "dave@example.org") == (3, 1)
        assert peer.wait(1, timeout=15), srv.log()
        time.sleep(0.5)
        assert len(peer.requests) == 1
    finally:
        peer.close()
