"""A tiny DNS responder on loopback for tests and benchmarks (dns_server, CONF-10).

records: {name: [(qtype, value), ...]} with qtype 1 (A, "a.b.c.d"),
15 (MX, (preference, host); host "." is a null MX) or 16 (TXT, a string,
split into 255-octet pieces). A listed name answers other types with no
data; rcodes: {name: rcode} answers with that error (2 = SERVFAIL);
anything else is NXDOMAIN. mute = True makes it silent (a lookup timeout).
queries records (name, qtype) of every question. Serves until close().
Must not: bind anything but 127.0.0.1.
"""
import socket
import struct
import threading

T_A, T_MX, T_TXT = 1, 15, 16


class MockDns:
    def __init__(self, records=None, rcodes=None, ttl=60):
        self.records = {k.lower(): v for k, v in (records or {}).items()}
        self.rcodes = {k.lower(): v for k, v in (rcodes or {}).items()}
        self.ttl = ttl
        self.mute = False
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def serve(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.mute:
                continue
            try:
                self.sock.sendto(self.answer(data), addr)
            except (OSError, IndexError, struct.error, UnicodeDecodeError):
                continue

    @staticmethod
    def rdata(qtype, value):
        if qtype == T_A:
            return socket.inet_aton(value)
        if qtype == T_TXT:
            raw = value.encode()
            return b"".join(bytes([len(c)]) + c for c in (raw[i:i + 255]
                                                            for i in range(0, len(raw), 255)))
        pref, host = value
        return struct.pack(">H", pref) + b"".join(
            bytes([len(p)]) + p.encode() for p in host.split(".") if p) + b"\x00"

    def answer(self, q):
        qid = struct.unpack(">H", q[:2])[0]
        pos, labels = 12, []
        while q[pos] and len(labels) < 64:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qend = pos + 5
        name = ".".join(labels).lower()
        qtype = struct.unpack(">H", q[pos + 1:pos + 3])[0]
        self.queries.append((name, qtype))
        rcode, answers, ancount = 3, b"", 0
        if name in self.rcodes:
            rcode = self.rcodes[name]
        elif name in self.records:
            rcode = 0
            for rtype, value in self.records[name]:
                if rtype != qtype:
                    continue
                rdata = self.rdata(rtype, value)
                answers += b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, self.ttl,
                                                     len(rdata)) + rdata
                ancount += 1
        header = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, ancount, 0, 0)
        return header + q[12:qend] + answers

    def close(self):
        self.running = False
        self.sock.close()
        self.thread.join(2)
