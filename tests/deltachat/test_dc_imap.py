"""The real Delta Chat core against chatrelay's IMAP engine (SPEC DC-1, DC-2,
DC-5): two accounts configure over plain (loopback), STARTTLS and implicit
TLS, wait for IMAP IDLE, run a Secure-Join (clear vc-request, then encrypted
steps) and exchange an encrypted message, which arrives through IDLE."""
import os
import shutil

import pytest

from chatrelay_server import Server, make_tmpdir
from dc_rpc import RPC_BIN, DeltaChat


@pytest.fixture
def dc():
    if not os.path.exists(RPC_BIN):
        pytest.fail(f"{RPC_BIN} missing: run npm ci in tests/deltachat")
    d = DeltaChat()
    yield d
    d.close()
    shutil.rmtree(d.accounts_dir, ignore_errors=True)


def configure(dc, srv, addr, pw, mode):
    acc = dc.call("add_account")
    sec = {"ssl": "1", "starttls": "2", "plain": "3"}[mode]
    imap = srv.port("imaps_port") if mode == "ssl" else srv.port("imap_port")
    smtp = srv.port("submissions_port") if mode == "ssl" else srv.port("submission_port")
    dc.call("batch_set_config", acc, {
        "addr": addr, "mail_pw": pw, "mail_server": "127.0.0.1", "mail_port": str(imap),
        "mail_security": sec, "send_server": "127.0.0.1", "send_port": str(smtp),
        "send_security": sec, "send_user": addr, "send_pw": pw,
        "imap_certificate_checks": "3", "bot": "1"})
    dc.call("configure", acc, timeout=60)
    dc.call("start_io", acc)
    return acc


@pytest.fixture
def srv():
    tmp = make_tmpdir()
    s = Server(tmpdir=tmp, params={"dkim_verify": "no", "push": "no"}).start()
    yield s
    assert s.stop() == 0, s.log()
    s.assert_clean_log()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("mode", ["plain", "starttls", "ssl"])
def test_securejoin_and_message_over_imap(srv, dc, mode):
    a = configure(dc, srv, "alice0001@example.org", "password-alice", mode)
    b = configure(dc, srv, "bob000001@example.org", "password-bob1", mode)
    # A fresh client starts at the UIDNEXT it first sees (DC-2 step 7): wait for IDLE.
    for acc in (a, b):
        dc.wait_event(acc, "ImapInboxIdle", timeout=30)
    qr = dc.call("get_chat_securejoin_qr_code", b, None)
    chat = dc.call("secure_join", a, qr)
    dc.wait_event(a, "SecurejoinJoinerProgress", timeout=30,
                  match=lambda e: e.get("progress") == 1000)
    dc.call("misc_send_text_message", a, chat, "hello bob")
    ev = dc.wait_event(b, "IncomingMsg", timeout=30)
    msg = dc.call("get_message", b, ev["msgId"])
    assert msg["text"] == "hello bob"
    assert msg["showPadlock"] is True
