"""Outbound queue over /mxdeliv (QUEUE-1..5, FED-2, FED-3, DSN-1..3).

Messages are put into a stopped server's queue with tests/tools/queue_inject
(the SMTP engine that calls queue_submit is built elsewhere); the server is
then started and a mock /mxdeliv peer (http.server on loopback, reached
through a [routes] entry) records what arrives. Loaded entries wait 10 s
after start (QUEUE-4), so every delivery here takes at least that long.
"""
import glob
import http.client
import http.server
import os
import signal
import subprocess
import threading
import time

from chatrelay_server import BIN, free_port

INJECT = os.path.join(os.path.dirname(BIN), "tests", "queue_inject")
MESSAGE = ("From: alice@example.org\nTo: bob@peer.test\nSubject: hello\n"
           "Message-ID: <m1@example.org>\n\n.leading dot line\nbody\n")


class MockPeer:
    """A /mxdeliv receiver answering from a list of (status, body) replies."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                peer.requests.append({
                    "path": self.path,
                    "from": self.headers.get_all("X-Mail-From") or [],
                    "to": self.headers.get_all("X-Mail-To") or [],
                    "type": self.headers.get("Content-Type"),
                    "body": body,
                })
                status, text = peer.replies[min(len(peer.requests), len(peer.replies)) - 1]
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/mxdeliv"

    def wait(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            time.sleep(0.1)
        return len(self.requests) >= count

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def data_owner(srv):
    st = os.stat(srv.params["data_dir"])
    return st.st_uid, st.st_gid


def prepare(server_factory, routes, params=None):
    """A server whose directories exist (first start), stopped again."""
    p = {"queue_retry_initial": "1s", "queue_retry_max": "2s"}
    p.update(params or {})
    srv = server_factory(routes=routes, params=p)
    srv.start()
    assert srv.stop() == 0
    fresh_log(srv)
    return srv


def fresh_log(srv):
    """Start.wait_for_log reads the whole log: forget the earlier run's "ready"."""
    open(srv.log_path, "w").close()


def inject(srv, sender, rcpts, message=MESSAGE):
    path = os.path.join(srv.tmpdir, "inject.eml")
    with open(path, "w") as f:
        f.write(message)
    out = subprocess.run([INJECT, srv.params["data_dir"], sender, path, *rcpts],
                         check=True, capture_output=True, text=True).stdout.strip()
    uid, gid = data_owner(srv)
    for root, dirs, files in os.walk(os.path.join(srv.params["data_dir"], "queue")):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)
    return out


def make_account(srv, account):
    """The sender's maildir, so the DSN has an INBOX to go to (STORE layout)."""
    uid, gid = data_owner(srv)
    base = os.path.join(srv.params["data_dir"], "mail", srv.params["mail_domain"], account)
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(base, sub), mode=0o700, exist_ok=True)
    for root, dirs, _ in os.walk(os.path.join(srv.params["data_dir"], "mail")):
        os.chown(root, uid, gid)
    return base


def queue_files(srv):
    return sorted(glob.glob(os.path.join(srv.params["data_dir"], "queue", "*.env")))


def wait_empty(srv, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and queue_files(srv):
        time.sleep(0.1)
    return not queue_files(srv)


def inbox_messages(base, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = glob.glob(os.path.join(base, "new", "*")) + glob.glob(os.path.join(base, "cur", "*"))
        if files:
            return [open(f, "rb").read() for f in files]
        time.sleep(0.1)
    return []


def test_delivery_over_http(server_factory):
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        srv = prepare(server_factory, {"peer.test": f"{peer.url()} -"})
        inject(srv, "alice@example.org", ["bob@peer.test", "carol@peer.test"])
        srv.start()
        assert peer.wait(1), srv.log()
        req = peer.requests[0]
        assert req["path"] == "/mxdeliv"
        assert req["from"] == ["alice@example.org"]
        assert sorted(req["to"]) == ["bob@peer.test", "carol@peer.test"]  # one POST (QUEUE-2)
        assert req["type"] == "message/rfc822"
        assert b"\r\n.leading dot line\r\n" in req["body"]  # no dot-stuffing over HTTP
        assert wait_empty(srv), srv.log()
        time.sleep(1.5)
        assert len(peer.requests) == 1
    finally:
        peer.close()


def metrics(srv):
    """The /metrics exposition text (HTTP-6), over one new HTTP connection."""
    c = http.client.HTTPConnection(srv.host, srv.port("http_port"), timeout=30)
    c.request("GET", "/metrics")
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return text


def test_permanent_failure_makes_dsn(server_factory):
    peer = MockPeer([(403, "550 5.7.1 Recipient refused")])
    try:
        srv = prepare(server_factory, {"peer.test": f"{peer.url()} -"})
        inbox = make_account(srv, "alice@example.org")
        inject(srv, "alice@example.org", ["bob@peer.test"])
        srv.start()
        assert peer.wait(1), srv.log()
        msgs = inbox_messages(inbox)
        assert len(msgs) == 1, srv.log()
        dsn = msgs[0].decode()
        assert "Subject: Undelivered Mail Returned to Sender" in dsn
        assert "From: Mail Delivery System <MAILER-DAEMON@example.org>" in dsn
        assert "report-type=delivery-status" in dsn
        assert "Final-Recipient: rfc822; bob@peer.test" in dsn
        assert "Status: 5.7.1" in dsn
        assert "Diagnostic-Code: smtp; 550 5.7.1 Recipient refused" in dsn
        assert "Message-ID: <m1@example.org>" in dsn  # the original header (DSN-2)
        assert "DKIM-Signature" not in dsn.split("\r\n\r\n")[0]
        assert wait_empty(srv), srv.log()
        assert len(peer.requests) == 1  # 5xx: no retry
        text = metrics(srv)
        assert 'chatrelay_dsn_total{result="delivered"} 1' in text
        assert 'chatrelay_dsn_total{result="over_quota"} 0' in text
    finally:
        peer.close()


def test_dsn_over_quota_is_dropped_and_counted(server_factory):
    """DSN-3: a DSN that does not fit the sender's quota is dropped, counted in /metrics."""
    peer = MockPeer([(403, "550 5.7.1 Recipient refused")])
    try:
        srv = prepare(server_factory, {"peer.test": f"{peer.url()} -"},
                      {"max_mailbox_size": "100"})
        inbox = make_account(srv, "alice@example.org")
        inject(srv, "alice@example.org", ["bob@peer.test"])
        srv.start()
        assert peer.wait(1), srv.log()
        assert wait_empty(srv), srv.log()  # dropped, not owed: the entry goes
        deadline = time.monotonic() + 5
        text = metrics(srv)
        while "chatrelay_queue_messages 0" not in text and time.monotonic() < deadline:
            time.sleep(0.1)
            text = metrics(srv)
        assert 'chatrelay_dsn_total{result="over_quota"} 1' in text
        assert 'chatrelay_dsn_total{result="delivered"} 0' in text
        assert "chatrelay_queue_messages 0" in text
        assert not inbox_messages(inbox, timeout=1)
        assert len(peer.requests) == 1
    finally:
        peer.close()


def test_temporary_failure_is_retried(server_factory):
    peer = MockPeer([(403, "450 4.2.0 Try later"), (200, "250 2.0.0 OK")])
    try:
        srv = prepare(server_factory, {"peer.test": f"{peer.url()} -"})
        inbox = make_account(srv, "alice@example.org")
        inject(srv, "alice@example.org", ["bob@peer.test"])
        srv.start()
        assert peer.wait(2, timeout=30), srv.log()
        assert wait_empty(srv), srv.log()
        assert len(peer.requests) == 2
        assert not inbox_messages(inbox, timeout=1)  # delivered in the end: no DSN
    finally:
        peer.close()


def test_queue_survives_kill_and_delivers_once(server_factory):
    dead_port = free_port()
    srv = prepare(server_factory, {"peer.test": f"http://127.0.0.1:{dead_port}/mxdeliv -"})
    inject(srv, "alice@example.org", ["bob@peer.test"])
    srv.start()
    srv.wait_for_log("attempt done: 0 of 1", timeout=30)  # peer down: temporary failure
    srv.signal(signal.SIGKILL)
    srv.wait()
    assert len(queue_files(srv)) == 1
    fresh_log(srv)
    peer = MockPeer([(200, "250 2.0.0 OK")])
    try:
        srv.routes = {"peer.test": f"{peer.url()} -"}
        srv.start()
        assert peer.wait(1, timeout=30), srv.log()
        assert wait_empty(srv), srv.log()
        time.sleep(2.5)
        assert len(peer.requests) == 1
    finally:
        peer.close()


def test_corrupt_entry_moved_aside(server_factory):
    srv = prepare(server_factory, {})
    qdir = os.path.join(srv.params["data_dir"], "queue")
    bad = os.path.join(qdir, "0123456789abcdef.env")
    with open(bad, "w") as f:
        f.write("chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 a@b.test\n")  # no "end"
    uid, gid = data_owner(srv)
    os.chown(bad, uid, gid)
    srv.start()
    srv.wait_for_log("1 unreadable entries moved")
    assert os.path.exists(os.path.join(qdir, "corrupt", "0123456789abcdef.env"))
    assert not os.path.exists(bad)


def run_cli(srv, *args):
    return subprocess.run([BIN, *args, "-c", srv.config_path], capture_output=True, text=True,
                          timeout=30)


def test_cli_queue_stopped_and_running(server_factory):
    dead_port = free_port()
    srv = prepare(server_factory, {"peer.test": f"http://127.0.0.1:{dead_port}/mxdeliv -"})
    qid = inject(srv, "alice@example.org", ["bob@peer.test", "carol@peer.test"])
    qid2 = inject(srv, "", ["dan@other.test"])
    # stopped server: directly on the queue directory
    r = run_cli(srv, "queue", "list")
    assert r.returncode == 0, r.stderr
    lines = sorted(r.stdout.splitlines())
    assert len(lines) == 2, r.stdout
    mine = [ln for ln in lines if ln.startswith(qid + " ")][0].split(" ")
    assert mine[2:6] == ["alice@example.org", "peer.test", "2", "0"]
    other = [ln for ln in lines if ln.startswith(qid2 + " ")][0].split(" ")
    assert other[2:5] == ["<>", "other.test", "1"]
    assert run_cli(srv, "queue", "del", qid2).returncode == 0
    assert run_cli(srv, "queue", "del", qid2).returncode == 1
    assert run_cli(srv, "queue", "bogus").returncode == 2
    # running server: through the control socket
    srv.start()
    r = run_cli(srv, "queue", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(qid + " ") and len(r.stdout.splitlines()) == 1, r.stdout
    assert run_cli(srv, "queue", "flush", qid).returncode == 0
    srv.wait_for_log("attempt done: 0 of 2", timeout=5)  # flushed: no 10 s wait
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = run_cli(srv, "queue", "del", qid)
        if r.returncode == 0:
            break
        time.sleep(0.2)  # busy while the state is written
    assert r.returncode == 0, r.stderr
    assert wait_empty(srv)
    assert run_cli(srv, "queue", "list").stdout == ""


def https_peer(replies):
    """The mock peer behind TLS with the self-signed certificate of the SMTP tests."""
    import ssl
    from test_queue_smtp import self_signed
    peer = MockPeer(replies)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*self_signed())
    peer.httpd.socket = ctx.wrap_socket(peer.httpd.socket, server_side=True)
    return peer


def test_https_certificate_verified_unless_underscore_domain(server_factory):
    peer = https_peer([(200, "250 2.0.0 OK")])
    try:
        url = f"https://127.0.0.1:{peer.port}/mxdeliv"
        srv = prepare(server_factory, {"peer.test": f"{url} -", "_peer.test": f"{url} -"})
        inject(srv, "alice@example.org", ["bob@peer.test"])
        inject(srv, "alice@example.org", ["carol@_peer.test"])
        srv.start()
        assert run_cli(srv, "queue", "flush").returncode == 0
        assert peer.wait(1), srv.log()
        time.sleep(1)
        # TLS-7: "_" domains are contacted without verification; peer.test is refused
        assert [r["to"] for r in peer.requests] == [["carol@_peer.test"]]
        out = run_cli(srv, "queue", "list").stdout
        assert " peer.test 1 " in out and "HTTPS delivery failed" in out, out
    finally:
        peer.close()
