"""Two chatrelay instances federating (issue 7; FED-1..3, FED-8, MXD-1..3, QUEUE-4, DSN-1).

A on 127.0.0.2 and B on 127.0.0.3 with IP-literal mail domains reach each
other through [routes]: /mxdeliv over plain HTTP, SMTP when B's HTTP is off,
the queue when B is down (also across a restart of A). IP-literal domains
are not DKIM-signed; DKIM-8 (From literal = peer address) needs no DNS.
"""
import glob
import os
import time

from chatrelay_server import free_ports
from test_queue_http import fresh_log, queue_files, run_cli
from test_smtp_engine import FAST, Conn, fixture

A_IP, B_IP = "127.0.0.2", "127.0.0.3"
ALICE, BOB = f"alice@[{A_IP}]", f"bob@[{B_IP}]"


def pair(server_factory, b_params=None):
    p = dict(FAST)
    p.update({"dkim_verify": "yes", "queue_retry_initial": "1s", "queue_retry_max": "2s"})
    a = server_factory(name="a", params=dict(p, mail_domain=A_IP, listen_address=A_IP))
    b = server_factory(name="b", params=dict(p, mail_domain=B_IP, listen_address=B_IP,
                                             **(b_params or {})))
    for srv, ip in ((a, A_IP), (b, B_IP)):
        ports = free_ports(6, ip)
        for key, port in zip(("smtp_port", "submission_port", "submissions_port",
                              "imap_port", "imaps_port", "http_port"), ports):
            if srv.params.get(key) != "0":
                srv.params[key] = str(port)
    for srv, other, ip in ((a, b, B_IP), (b, a, A_IP)):
        http = other.params["http_port"]
        url = f"http://{ip}:{http}/mxdeliv" if http != "0" else "-"
        srv.routes = {ip: f"{url} {ip}:{other.params['smtp_port']}"}
    return a, b


def login(srv, addr):
    c = Conn(srv)
    c.ehlo()
    c.login(addr)
    return c


def maildir(srv, addr):
    base = os.path.join(srv.params["data_dir"], "mail", "*", glob.escape(addr))
    return glob.glob(os.path.join(base, "new", "*")) + glob.glob(os.path.join(base, "cur", "*"))


def wait_mail(srv, addr, n=1, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(maildir(srv, addr)) < n:
        time.sleep(0.05)
    return maildir(srv, addr)


def send(a, subject="hello"):
    c = login(a, ALICE)
    msg = fixture("encrypted.eml", ALICE, BOB, subject)
    r = c.message(ALICE, [BOB], msg)
    c.cmd("QUIT")
    c.close()
    return r


def create(srv, addr):
    login(srv, addr).close()


def test_over_mxdeliv(server_factory):
    a, b = pair(server_factory)
    a.start()
    b.start()
    create(b, BOB)
    assert send(a) == "250 2.0.0 OK"
    files = wait_mail(b, BOB)
    assert len(files) == 1, a.log() + b.log()
    data = open(files[0], "rb").read()
    assert b"DKIM-Signature" not in data  # IP literal: not signed (and HDR-2)
    assert b"Subject: [...]" in data
    assert "POST /mxdeliv" in b.log() or "mxdeliv status=200" in b.log()
    deadline = time.monotonic() + 5
    while queue_files(a) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not queue_files(a)


def test_over_smtp_when_http_disabled(server_factory):
    a, b = pair(server_factory, {"http_port": "0"})
    a.start()
    b.start()
    create(b, BOB)
    assert send(a) == "250 2.0.0 OK"
    files = wait_mail(b, BOB)
    assert len(files) == 1, a.log() + b.log()
    assert "mxdeliv status" not in b.log()


def test_waits_in_queue_across_restart(server_factory):
    a, b = pair(server_factory)
    b.start()
    create(b, BOB)
    assert b.stop() == 0
    fresh_log(b)  # start() waits for a new "ready"
    a.start()
    assert send(a) == "250 2.0.0 OK"
    time.sleep(1)
    assert len(queue_files(a)) == 1
    assert a.stop() == 0
    fresh_log(a)
    a.start()
    assert len(queue_files(a)) == 1
    b.start()
    assert run_cli(a, "queue", "flush").returncode == 0
    files = wait_mail(b, BOB)
    assert len(files) == 1, a.log() + b.log()
    deadline = time.monotonic() + 5
    while queue_files(a) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not queue_files(a)


def test_unknown_recipient_dropped_and_permanent_failure_dsn(server_factory):
    a, b = pair(server_factory, {"federation_policy": "allowlist",
                                 "federation_allowlist": "[127.0.0.9]"})
    a.start()
    b.start()
    create(b, BOB)
    create(a, ALICE)
    # B refuses A's domain (FED-9): 403 with a 5xx line, a DSN for alice
    assert send(a) == "250 2.0.0 OK"
    files = wait_mail(a, ALICE)
    assert len(files) == 1, a.log() + b.log()
    dsn = open(files[0], "rb").read().decode()
    assert "Subject: Undelivered Mail Returned to Sender" in dsn
    assert f"Final-Recipient: rfc822; {BOB}" in dsn
    assert "Status: 5.7.1" in dsn
    assert maildir(b, BOB) == []
