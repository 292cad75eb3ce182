"""The real Delta Chat core against chatrelay's IMAP engine (SPEC DC-1, DC-2,
DC-5): two accounts configure over plain (loopback), STARTTLS and implicit
TLS, wait for IMAP IDLE, run a Secure-Join (clear vc-request, then encrypted
steps) and exchange an encrypted message, which arrives through IDLE."""
import pytest

from conftest import configure


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
