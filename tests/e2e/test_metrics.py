"""/metrics counters move by exactly what happened (HTTP-6).

One server with local accounts (bob and dan hold push tokens), a mock push
sink, and three routed peer domains: peer.test (mock /mxdeliv, 200),
perm.test (mock /mxdeliv, 403 with a 5xx line: DSN), smtp.test (dead
/mxdeliv URL, then a mock MX: FED-3 fallback). It receives inbound SMTP,
a submission for bob and the three domains, and /mxdeliv requests, some
refused; every counter of connections, messages, deliveries and push is
then compared with the exact expected value.
"""
import re
import time

from accounts_helpers import cli
from chatrelay_server import free_port
from test_federation_mxdeliv import post
from test_push import Sink, tool
from test_queue_http import MockPeer, metrics, queue_files
from test_queue_smtp import MockMx
from test_smtp_engine import FAST, Conn, fixture, plain_msg, wait_files

SERIES = re.compile(r"^(chatrelay_[a-z_]+(?:\{[^}]*\})?) (\d+)$")
SCRAPES = [0]  # HTTP connections made by scrape()


def scrape(srv):
    """The exposition as {series: value}; one new HTTP connection."""
    SCRAPES[0] += 1
    text = metrics(srv)
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            continue
        m = SERIES.match(line)
        assert m, line
        out[m.group(1)] = int(m.group(2))
    # HTTP-6: no label names an address, IP, domain or message
    for word in ("example.org", "127.0.0.1", "peer.test", "perm.test", "smtp.test", "@"):
        assert word not in text, text
    return out


def conns(listener):
    return f'chatrelay_connections_total{{listener="{listener}"}}'


def msgs(path, result):
    return f'chatrelay_messages_total{{path="{path}",result="{result}"}}'


def dels(transport, result):
    return f'chatrelay_deliveries_total{{transport="{transport}",result="{result}"}}'


def push(result):
    return f'chatrelay_push_total{{result="{result}"}}'


def wait_until(cond, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_counters_move_exactly(server_factory):
    sink = Sink([200, 410, 500])
    peer = MockPeer([(200, "250 2.0.0 OK")])
    perm = MockPeer([(403, "550 5.1.1 <dave@perm.test> User unknown")])
    mx = MockMx()
    try:
        routes = {"peer.test": f"{peer.url()} -", "perm.test": f"{perm.url()} -",
                  "smtp.test": f"http://127.0.0.1:{free_port()}/mxdeliv 127.0.0.1:{mx.port}"}
        params = dict(FAST, push_url=f"http://127.0.0.1:{sink.port}/notify",
                      federation_insecure_tls="yes", queue_retry_initial="1s",
                      queue_retry_max="2s")
        srv = server_factory(params=params, routes=routes)
        srv.write_config()
        for user in ("alice", "bob", "dan", "full"):
            cli(srv, "account", "add", f"{user}@example.org", "--password", "password123",
                check=0)
        cli(srv, "account", "quota", "full@example.org", "1", check=0)
        tool(srv, "set", "bob@example.org", "openpgp:TOKENBOB")
        tool(srv, "set", "dan@example.org", "openpgp:TOKENDAN")
        srv.start()

        SCRAPES[0] = 0
        before = scrape(srv)
        assert all(v == 0 for k, v in before.items()
                   if k.startswith(("chatrelay_messages", "chatrelay_deliveries",
                                    "chatrelay_push"))), before
        assert before[conns("http")] == 1  # this scrape itself
        assert all(before[conns(k)] == 0
                   for k in ("smtp", "submission", "submissions", "imap", "imaps"))
        assert len([k for k in before if k.startswith("chatrelay_messages_total")]) == 9
        assert len([k for k in before if k.startswith("chatrelay_deliveries_total")]) == 6

        # inbound: one accepted (push 1: 200), one refused by the gate
        c = Conn(srv, "smtp_port")
        c.ehlo()
        assert c.message("carol@remote.test", ["bob@example.org"],
                         fixture("encrypted.eml", "carol@remote.test", "bob@example.org")) == \
            "250 2.0.0 OK"
        assert c.message("carol@remote.test", ["bob@example.org"],
                         plain_msg("carol@remote.test", "bob@example.org")) == \
            "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail"
        c.cmd("QUIT")
        c.close()
        assert wait_until(lambda: len(sink.bodies) == 1), srv.log()

        # submission: bob (push 2: 410) and one recipient on each peer domain; one refused
        c = Conn(srv)
        c.login("alice@example.org")
        rcpts = ["bob@example.org", "carol@peer.test", "dave@perm.test", "erin@smtp.test"]
        assert c.message("alice@example.org", rcpts,
                         fixture("encrypted.eml", "alice@example.org", "carol@peer.test")) == \
            "250 2.0.0 OK"
        assert c.message("alice@example.org", ["carol@peer.test"],
                         plain_msg("alice@example.org", "carol@peer.test")).startswith("523 ")
        c.cmd("QUIT")
        c.close()
        assert wait_until(lambda: len(sink.bodies) == 2), srv.log()
        assert len(wait_files(srv, "bob@example.org", 2)) == 2

        # the queue: peer.test delivered, perm.test failed for good (DSN to alice), smtp.test
        # failed over HTTPS (connection refused) and then went out over SMTP
        assert peer.wait(1) and perm.wait(1) and mx.wait(1), srv.log()
        assert wait_until(lambda: not queue_files(srv)), srv.log()
        assert wait_until(
            lambda: scrape(srv)['chatrelay_dsn_total{result="delivered"}'] == 1), srv.log()

        # /mxdeliv: accepted (push 3 for dan: 500), refused (400), over quota only (507).
        # Last, so that the push retry (8 s after the 500, PUSH-3) comes after the checks.
        literal = fixture("encrypted.eml", "carol@[127.0.0.1]", "dan@example.org")
        assert post(srv, literal, [("X-Mail-From", "carol@[127.0.0.1]"),
                                   ("X-Mail-To", "dan@example.org")])[0] == 200
        assert post(srv, literal, [("X-Mail-From", "carol@[127.0.0.1]")])[0] == 400
        assert post(srv, literal, [("X-Mail-To", "full@example.org")])[0] == 507
        assert wait_until(lambda: len(sink.bodies) == 3), srv.log()
        # fail may already be 2 on a stalled machine: the PUSH-3 retry of the 500 is due at 8 s
        assert wait_until(lambda: [min(scrape(srv)[push(r)], 1) for r in ("ok", "gone", "fail")]
                          == [1, 1, 1]), srv.log()

        after = scrape(srv)
        assert after[conns("http")] == SCRAPES[0] + 3  # and the 3 POSTs
        assert after[conns("smtp")] == 1
        assert after[conns("submission")] == 1
        assert after[conns("submissions")] == 0
        assert after[conns("imap")] == 0 and after[conns("imaps")] == 0
        assert {k: v for k, v in after.items() if k.startswith("chatrelay_messages_total")} == {
            msgs("inbound", "accepted"): 1, msgs("inbound", "refused"): 1,
            msgs("inbound", "tempfail"): 0,
            msgs("submission", "accepted"): 1, msgs("submission", "refused"): 1,
            msgs("submission", "tempfail"): 0,
            msgs("mxdeliv", "accepted"): 1, msgs("mxdeliv", "refused"): 1,
            msgs("mxdeliv", "tempfail"): 1,
        }
        assert {k: v for k, v in after.items() if k.startswith("chatrelay_deliveries")} == {
            dels("mxdeliv", "ok"): 1, dels("mxdeliv", "tempfail"): 1,
            dels("mxdeliv", "permfail"): 1,
            dels("smtp", "ok"): 1, dels("smtp", "tempfail"): 0, dels("smtp", "permfail"): 0,
        }
        assert (after[push("ok")], after[push("gone")], after[push("dropped")]) == (1, 1, 0)
        assert after[push("fail")] in (1, 2)
        assert after["chatrelay_queue_messages"] == 0
    finally:
        mx.close()
        perm.close()
        peer.close()
        sink.close()
