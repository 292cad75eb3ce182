"""Issue 8 scenario 8: a plaintext message the client is made to send is refused by the
gate with the 523 text Delta Chat matches (GATE-11), and the client reports the failure."""
import imaplib

from conftest import configure


def test_plaintext_attempt_fails_with_the_encryption_notice(srv, dc):
    m = imaplib.IMAP4("127.0.0.1", srv.port("imap_port"))
    m.login("nokey0001@example.org", "password-nokey")  # the recipient exists (JIT)
    m.logout()
    a = configure(dc, srv, "plainsend@example.org", "password-plain", "plain")
    dc.wait_event(a, "ImapInboxIdle", timeout=30)
    dc.call("set_config", a, "force_encryption", "0")
    contact = dc.call("create_contact", a, "nokey0001@example.org", None)
    chat = dc.call("create_chat_by_contact_id", a, contact)
    msg_id = dc.call("misc_send_text_message", a, chat, "unencrypted hello")
    dc.wait_event(a, "MsgFailed", timeout=60, match=lambda e: e.get("msgId") == msg_id)
    info = dc.call("get_message_info", a, msg_id)
    # the 523 reply's text (GATE-11) is what the client matches for its encryption notice
    assert "5.7.1 encryption needed: invalid unencrypted mail" in info.lower(), info
