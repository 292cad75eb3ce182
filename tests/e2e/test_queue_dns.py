"""MX lookups of the outbound SMTP path through dns_server (FED-4, CONF):
a tiny DNS responder on loopback answers NXDOMAIN, a null MX or SERVFAIL.
federation_http = no, so SMTP is the only transport (FED-1).
"""
from dns_mock import T_MX, MockDns
from test_queue_http import inbox_messages, inject, make_account, prepare, run_cli, wait_empty
from test_queue_smtp import start_and_flush


def mock_dns(records=None):
    """nx.test NXDOMAIN, nullmx.test "0 .", busy.test SERVFAIL, plus records."""
    return MockDns({"nullmx.test": [(T_MX, (0, "."))], **(records or {})},
                   rcodes={"busy.test": 2})


def test_nxdomain_and_null_mx_fail_for_good(server_factory):
    dns = mock_dns()
    try:
        srv = prepare(server_factory, {}, {"federation_http": "no",
                                           "dns_server": f"127.0.0.1:{dns.port}"})
        inbox = make_account(srv, "alice@example.org")
        inject(srv, "alice@example.org", ["bob@nx.test"])
        inject(srv, "alice@example.org", ["carol@nullmx.test"])
        start_and_flush(srv)
        assert wait_empty(srv), srv.log()
        msgs = []
        for _ in range(50):
            msgs = inbox_messages(inbox)
            if len(msgs) >= 2:
                break
        text = "\n".join(m.decode() for m in msgs)
        assert "Diagnostic-Code: smtp; 550 5.1.2 Domain does not exist" in text, srv.log()
        assert "Diagnostic-Code: smtp; 556 5.1.10 Recipient address has null MX" in text
        assert ("nx.test", 15) in dns.queries and ("nullmx.test", 15) in dns.queries
    finally:
        dns.close()


def test_servfail_is_temporary(server_factory):
    dns = mock_dns()
    try:
        srv = prepare(server_factory, {}, {"federation_http": "no",
                                           "dns_server": f"127.0.0.1:{dns.port}"})
        inject(srv, "alice@example.org", ["bob@busy.test"])
        start_and_flush(srv)
        srv.wait_for_log("attempt done: 0 of 1", timeout=20)
        out = run_cli(srv, "queue", "list").stdout
        assert " busy.test 1 " in out and "4.4.3" in out, out
    finally:
        dns.close()
