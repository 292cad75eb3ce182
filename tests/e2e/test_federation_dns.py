"""Federation found through DNS, without [routes] (FED-1, FED-2, FED-4, TLS-7, CONF dns_server).

A (mail domain [127.0.0.2], data on 127.0.0.2) sends to bob@b.test. B
listens on 127.0.0.3 with HTTPS on 443 and SMTP on 25, as a real peer
would. A's dns_server is a test DNS responder on loopback that knows
b.test: HTTPS /mxdeliv goes to the A record of b.test; with B's HTTP off,
SMTP goes to the MX host found through the MX record, then its A record.

TLS is verified for real: B's certificate (names b.test, mx.b.test) is
signed by a test CA, and A trusts that CA through OpenSSL's SSL_CERT_FILE
(the trust store of both transports, queue_http.c), so a wrong address
or a lost host name would fail the handshake. Binding 25 and 443 needs
root (CI and the dev machines run as root).
"""
import os
import subprocess
import time

import pytest

from chatrelay_server import free_ports, make_tmpdir
from dns_mock import T_A, T_MX, MockDns
from test_federation_pair import A_IP, ALICE, B_IP, create, login, maildir, wait_mail
from test_queue_http import fresh_log, queue_files
from test_smtp_engine import FAST, fixture

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="B binds ports 25 and 443 on 127.0.0.3: needs root")

B_DOMAIN = "b.test"
BOB = f"bob@{B_DOMAIN}"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_test_ca():
    """A CA and B's certificate for b.test and mx.b.test: (ca.pem, cert, key)."""
    d = make_tmpdir()
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=chatrelay test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "b.key", "-out", "b.csr", "-subj", f"/CN={B_DOMAIN}", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write(f"subjectAltName=DNS:{B_DOMAIN},DNS:mx.{B_DOMAIN}\n"
                "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "b.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "b.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    for name in ("ca.pem", "b.pem", "b.key"):
        os.chmod(os.path.join(d, name), 0o644)  # the servers run as nobody
    return tuple(os.path.join(d, n) for n in ("ca.pem", "b.pem", "b.key"))


def dns_pair(server_factory, dns, b_http=True):
    """A and B without [routes]; A resolves through dns, B serves 443 (or no HTTP) and 25."""
    ca, cert, key = make_test_ca()
    p = dict(FAST)
    p.update({"dkim_verify": "yes", "queue_retry_initial": "1s", "queue_retry_max": "2s"})
    a = server_factory(name="a", params=dict(p, mail_domain=A_IP, listen_address=A_IP,
                                             dns_server=f"127.0.0.1:{dns.port}"),
                       env={"SSL_CERT_FILE": ca})
    b = server_factory(name="b", params=dict(p, mail_domain=B_DOMAIN, listen_address=B_IP,
                                             tls_cert=cert, tls_key=key))
    keys = ("smtp_port", "submission_port", "submissions_port", "imap_port", "imaps_port",
            "http_port")
    for srv, ip in ((a, A_IP), (b, B_IP)):
        for key_, port in zip(keys, free_ports(len(keys), ip)):
            srv.params[key_] = str(port)
    b.params["smtp_port"] = "25"
    if b_http:
        b.params.update({"http_port": "443", "http_tls": "yes"})
    else:
        b.params["http_port"] = "0"
    a.start()
    b.start()
    create(a, ALICE)
    create(b, BOB)
    return a, b


def send(a):
    c = login(a, ALICE)
    r = c.message(ALICE, [BOB], fixture("encrypted.eml", ALICE, BOB, "over dns"))
    c.cmd("QUIT")
    c.close()
    return r


def wait_queue_empty(a, timeout=10):
    deadline = time.monotonic() + timeout
    while queue_files(a) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not queue_files(a)


def test_https_mxdeliv_found_through_dns(server_factory):
    dns = MockDns({B_DOMAIN: [(T_A, B_IP)]})
    try:
        a, b = dns_pair(server_factory, dns)
        assert send(a) == "250 2.0.0 OK"
        files = wait_mail(b, BOB)
        assert len(files) == 1, a.log() + b.log()
        assert b"Subject: [...]" in open(files[0], "rb").read()
        b.wait_for_log("mxdeliv status=200")  # HTTPS, not SMTP
        assert (B_DOMAIN, T_A) in dns.queries  # curl got the address from dns_server
        assert (B_DOMAIN, T_MX) not in dns.queries  # no SMTP step was needed
        assert wait_queue_empty(a), a.log()
        assert maildir(a, ALICE) == []  # no DSN
    finally:
        dns.close()


def test_smtp_to_mx_found_through_dns(server_factory):
    """B has no HTTP: HTTPS to b.test is refused, SMTP goes MX -> A -> 127.0.0.3:25."""
    dns = MockDns({B_DOMAIN: [(T_A, B_IP), (T_MX, (10, f"mx.{B_DOMAIN}"))],
                   f"mx.{B_DOMAIN}": [(T_A, B_IP)]})
    try:
        a, b = dns_pair(server_factory, dns, b_http=False)
        assert send(a) == "250 2.0.0 OK"
        files = wait_mail(b, BOB)
        assert len(files) == 1, a.log() + b.log()
        assert "mxdeliv status" not in b.log()
        assert (B_DOMAIN, T_MX) in dns.queries and (f"mx.{B_DOMAIN}", T_A) in dns.queries
        assert wait_queue_empty(a), a.log()
        assert maildir(a, ALICE) == []
    finally:
        dns.close()


def test_untrusted_certificate_is_not_delivered(server_factory):
    """TLS-7 still holds through the pinned address: without the CA, HTTPS and SMTP both fail."""
    dns = MockDns({B_DOMAIN: [(T_A, B_IP), (T_MX, (10, f"mx.{B_DOMAIN}"))],
                   f"mx.{B_DOMAIN}": [(T_A, B_IP)]})
    try:
        a, b = dns_pair(server_factory, dns)
        assert a.stop() == 0
        a.env.pop("SSL_CERT_FILE")
        fresh_log(a)
        a.start()
        assert send(a) == "250 2.0.0 OK"
        a.wait_for_log("attempt done: 0 of 1", timeout=20)
        assert maildir(b, BOB) == []
        assert len(queue_files(a)) == 1
        assert "/mxdeliv HTTPS delivery failed: SSL peer certificate" in a.log(), a.log()
        assert "SMTP host failed" in a.log()
    finally:
        dns.close()
