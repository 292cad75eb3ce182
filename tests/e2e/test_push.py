"""Device tokens and push end to end (META-7, PUSH-1..5, ACC-7, LOG-1).

Tokens are written with tests/tools/meta_token_tool while the server is
stopped (SETMETADATA arrives with the IMAP engine). A local HTTP sink on
127.0.0.1 stands in for the push service. The tests check that tokens
survive a restart (schema 2), the server stays silent towards the sink
without deliveries, tokens never reach the log, deleting the account drops
them, and an inbound SMTP delivery posts each token (a 410 removes it).
The notifier itself is covered by tests/unit/test_meta_push.c and
tests/unit/test_meta.c against a loopback HTTP responder.
"""
import http.server
import os
import subprocess
import threading

from accounts_helpers import cli
from chatrelay_server import BIN

TOOL = os.path.join(os.path.dirname(os.path.abspath(BIN)), "tests", "meta_token_tool")
FAST = {"auth_failure_delay": "0s", "min_available_memory": "0", "min_free_disk_space": "0"}


class Sink:
    """Answers POSTs with the given statuses in turn (the last repeats); records bodies."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.bodies = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                sink.bodies.append(self.rfile.read(n))
                i = min(len(sink.bodies), len(sink.statuses)) - 1
                self.send_response(sink.statuses[i])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def tool(srv, *args):
    """Run the token tool on the stopped server's database, keeping file ownership."""
    data_dir = srv.params["data_dir"]
    db = os.path.join(data_dir, "chatrelay.db")
    st = os.stat(db)
    p = subprocess.run([TOOL, data_dir, *args], capture_output=True, text=True, timeout=30)
    for name in os.listdir(data_dir):
        if name.startswith("chatrelay.db"):
            os.chown(os.path.join(data_dir, name), st.st_uid, st.st_gid)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout


def test_tokens_kept_across_restart_and_removed_with_the_account(server_factory):
    sink = Sink([200])
    try:
        params = dict(FAST, push_url=f"http://127.0.0.1:{sink.port}/notify")
        srv = server_factory(params=params)
        srv.write_config()
        cli(srv, "account", "add", "tokens01@example.org", "--password", "tokens-pw1", check=0)
        cli(srv, "account", "add", "tokens02@example.org", "--password", "tokens-pw2", check=0)
        tool(srv, "set", "tokens01@example.org", "openpgp:SECRETTOKENONE")
        tool(srv, "set", "tokens01@example.org", "openpgp:SECRETTOKENTWO")
        tool(srv, "set", "tokens02@example.org", "openpgp:SECRETTOKENTHREE")
        srv.start()
        # ACC-7: deleting an account through the running server drops its tokens
        cli(srv, "account", "del", "tokens01@example.org", check=0)
        assert srv.stop() == 0
        assert tool(srv, "list", "tokens01@example.org") == ""
        assert tool(srv, "list", "tokens02@example.org") == "openpgp:SECRETTOKENTHREE\n"
        assert tool(srv, "accounts") == "tokens02@example.org\n"
        # LOG-1: tokens are never logged; no delivery happened, so nothing was pushed
        assert "SECRETTOKEN" not in srv.log()
        assert sink.bodies == []
        # the tokens survive another start (loaded, not discarded); a fresh log so that
        # start() waits for this run's "ready"
        os.remove(srv.log_path)
        srv.start()
        assert srv.stop() == 0
        assert tool(srv, "list", "tokens02@example.org") == "openpgp:SECRETTOKENTHREE\n"
    finally:
        sink.close()


def test_push_off_starts_and_stops_cleanly(server_factory):
    srv = server_factory(params=dict(FAST, push="no"))
    srv.start()
    assert srv.stop() == 0


def _smtp_deliver(srv, sender, rcpt, body):
    import smtplib
    with smtplib.SMTP("127.0.0.1", srv.port("smtp_port"), timeout=30) as s:
        s.ehlo("peer.test")
        s.sendmail(sender, [rcpt], body)


def test_smtp_delivery_pushes_each_token_and_410_removes_it(server_factory):
    """PUSH-1: a durable inbound delivery notifies the recipient's device tokens."""
    import time
    sink = Sink([410, 200])
    try:
        params = dict(FAST, push_url=f"http://127.0.0.1:{sink.port}/notify",
                      enforce_e2ee="no", dkim_verify="no")
        srv = server_factory(params=params)
        srv.write_config()
        cli(srv, "account", "add", "pushed001@example.org", "--password", "pushed-pw1", check=0)
        tool(srv, "set", "pushed001@example.org", "openpgp:TOKENGONE")
        srv.start()
        msg = ("From: a@remote.test\r\nTo: pushed001@example.org\r\nSubject: x\r\n"
               "Message-ID: <push1@remote.test>\r\n\r\nhello\r\n")
        _smtp_deliver(srv, "a@remote.test", "pushed001@example.org", msg)
        deadline = time.monotonic() + 15
        while not sink.bodies and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sink.bodies == [b"openpgp:TOKENGONE"]
        # the 410 removed the token: the next delivery posts nothing
        _smtp_deliver(srv, "a@remote.test", "pushed001@example.org",
                      msg.replace("push1@", "push2@"))
        time.sleep(1.0)
        assert sink.bodies == [b"openpgp:TOKENGONE"]
        assert "TOKENGONE" not in srv.log()
    finally:
        sink.close()
