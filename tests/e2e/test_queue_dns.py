"""MX lookups of the outbound SMTP path through dns_server (FED-4, CONF):
a tiny DNS responder on loopback answers NXDOMAIN, a null MX or SERVFAIL.
federation_http = no, so SMTP is the only transport (FED-1).
"""
import socket
import struct
import threading

from test_queue_http import inbox_messages, inject, make_account, prepare, run_cli, wait_empty
from test_queue_smtp import start_and_flush


class MockDns:
    """Answers MX queries: nx.test NXDOMAIN, nullmx.test "0 .", busy.test SERVFAIL.

    records adds names of its own: {name: [(qtype, value), ...]} with
    qtype 1 (A, value "a.b.c.d") or 15 (MX, value (preference, host)). A
    listed name answers other types with no data; an unlisted one NXDOMAIN.
    """

    def __init__(self, records=None):
        self.records = {k.lower(): v for k, v in (records or {}).items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.running = True
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, addr = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            reply = self.answer(data)
            if reply:
                self.sock.sendto(reply, addr)

    @staticmethod
    def rdata(qtype, value):
        if qtype == 1:
            return socket.inet_aton(value)
        pref, host = value
        return struct.pack(">H", pref) + b"".join(
            bytes([len(p)]) + p.encode() for p in host.split(".") if p) + b"\x00"

    def answer(self, q):
        qid, flags, qd = struct.unpack(">HHH", q[:6])
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qend = pos + 5
        name = ".".join(labels).lower()
        qtype = struct.unpack(">H", q[pos + 1:pos + 3])[0]
        self.queries.append((name, qtype))
        question = q[12:qend]
        rcode, answers, ancount = 3, b"", 0
        if name == "nullmx.test" and qtype == 15:
            rcode, ancount = 0, 1
            rdata = self.rdata(15, (0, "."))
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 15, 1, 60, len(rdata)) + rdata
        elif name == "busy.test":
            rcode = 2
        elif name in self.records:
            rcode = 0
            for rtype, value in self.records[name]:
                if rtype != qtype:
                    continue
                rdata = self.rdata(rtype, value)
                answers += b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, 60, len(rdata)) + rdata
                ancount += 1
        header = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, ancount, 0, 0)
        return header + question + answers

    def close(self):
        self.running = False
        self.sock.close()


def test_nxdomain_and_null_mx_fail_for_good(server_factory):
    dns = MockDns()
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
    dns = MockDns()
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
