"""Delta Chat between two federated instances (SPEC DC-5, issue 8 scenario 7):
A on 127.0.0.2 and B on 127.0.0.3 with IP-literal mail domains routed to
each other over /mxdeliv; an account on each does a Secure-Join and they
exchange encrypted messages both ways."""
import shutil

import pytest

from chatrelay_server import Server, free_ports, make_tmpdir
from conftest import configure

A_IP, B_IP = "127.0.0.2", "127.0.0.3"
PORTS = ("smtp_port", "submission_port", "submissions_port", "imap_port", "imaps_port",
         "http_port")


@pytest.fixture
def pair():
    tmp = make_tmpdir()
    common = {"dkim_verify": "yes", "push": "no", "username_min_length": "5"}
    a = Server(tmpdir=tmp, name="a", params=dict(common, mail_domain=A_IP, listen_address=A_IP))
    b = Server(tmpdir=tmp, name="b", params=dict(common, mail_domain=B_IP, listen_address=B_IP))
    for srv, ip in ((a, A_IP), (b, B_IP)):
        srv.params.update(zip(PORTS, map(str, free_ports(len(PORTS), ip))))
    for srv, other, ip in ((a, b, B_IP), (b, a, A_IP)):
        srv.routes = {ip: f"http://{ip}:{other.params['http_port']}/mxdeliv "
                          f"{ip}:{other.params['smtp_port']}"}
    a.start()
    b.start()
    yield a, b
    for srv in (a, b):
        assert srv.stop() == 0, srv.log()
        srv.assert_clean_log()
    shutil.rmtree(tmp, ignore_errors=True)


def configure_on(dc, srv, ip, addr, pw):
    """Plain transport on the instance's own loopback address (DC-4 explicit parameters)."""
    acc = dc.call("add_account")
    dc.call("batch_set_config", acc, {
        "addr": addr, "mail_pw": pw, "mail_server": ip, "mail_port": srv.params["imap_port"],
        "mail_security": "3", "send_server": ip, "send_port": srv.params["submission_port"],
        "send_security": "3", "send_user": addr, "send_pw": pw,
        "imap_certificate_checks": "3", "bot": "1"})
    dc.call("configure", acc, timeout=60)
    dc.call("start_io", acc)
    return acc


def test_securejoin_and_messages_across_instances(pair, dc):
    a_srv, b_srv = pair
    a = configure_on(dc, a_srv, A_IP, f"alice1@[{A_IP}]", "password-alice")
    b = configure_on(dc, b_srv, B_IP, f"bobby1@[{B_IP}]", "password-bobby")
    for acc in (a, b):
        dc.wait_event(acc, "ImapInboxIdle", timeout=30)
    qr = dc.call("get_chat_securejoin_qr_code", b, None)
    chat_a = dc.call("secure_join", a, qr)
    dc.wait_event(a, "SecurejoinJoinerProgress", timeout=60,
                  match=lambda e: e.get("progress") == 1000)
    dc.call("misc_send_text_message", a, chat_a, "hello from A")
    ev = dc.wait_event(b, "IncomingMsg", timeout=60)
    msg = dc.call("get_message", b, ev["msgId"])
    assert msg["text"] == "hello from A" and msg["showPadlock"] is True, dc.report()
    dc.call("misc_send_text_message", b, msg["chatId"], "hello from B")
    ev = dc.wait_event(a, "IncomingMsg", timeout=60)
    msg = dc.call("get_message", a, ev["msgId"])
    assert msg["text"] == "hello from B" and msg["showPadlock"] is True, dc.report()
