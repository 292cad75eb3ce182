"""POST /new and the other HTTP endpoints of the accounts issue (REG-*, HTTP-4..6)."""
import http.client
import json
import os
import re
import socket
import subprocess

from accounts_helpers import Imap, Smtp, cli

FAST = {"auth_failure_delay": "0s", "min_available_memory": "0", "min_free_disk_space": "0"}


def request(srv, method, path, body=None, headers=None):
    c = http.client.HTTPConnection(srv.host, srv.port("http_port"), timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def test_new_gives_working_credentials(server_factory):
    srv = server_factory(params=dict(FAST)).start()
    r, data = request(srv, "POST", "/new")
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/json"
    doc = json.loads(data)
    assert list(doc) == ["email", "password", "dclogin_url"]
    assert data.decode() == json.dumps(doc, separators=(",", ":"))
    assert re.fullmatch(r"[a-z0-9]{9}@example\.org", doc["email"])
    assert re.fullmatch(r"[A-Za-z0-9]{24}", doc["password"])
    url = (f"dclogin:{doc['email']}?p={doc['password']}&v=1&ih=example.org"
           f"&ip={srv.port('imaps_port')}&is=ssl&sh=example.org"
           f"&sp={srv.port('submissions_port')}&ss=ssl&ic=3")
    assert doc["dclogin_url"] == url
    m = Imap(srv)
    assert m.login(doc["email"], doc["password"]).startswith("OK")
    m.close()
    s = Smtp(srv)
    assert s.auth_plain(doc["email"], doc["password"]).startswith("235")
    s.close()
    r, data = request(srv, "POST", "/cgi-bin/newemail.py", body=b"x" * 1000)
    assert r.status == 200
    # GET /new in self-signed mode behaves like POST (REG-8).
    r, data = request(srv, "GET", "/new")
    assert r.status == 200 and "email" in json.loads(data)
    assert len(cli(srv, "account", "list", check=0).stdout.splitlines()) == 3


def test_new_limits(server_factory):
    srv = server_factory(params=dict(FAST, new_account_rate="1", new_account_burst="2")).start()
    statuses = [request(srv, "POST", "/new")[0].status for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429
    r, data = request(srv, "POST", "/new")
    assert r.status == 429 and json.loads(data) == {"reason": "Too many requests, try again later"}
    s = socket.create_connection((srv.host, srv.port("http_port")), timeout=10)
    s.sendall(b"POST /new HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 413 ")
    s.close()
    r, _ = request(srv, "PUT", "/new")
    assert r.status == 405 and r.getheader("Allow") == "GET, POST"
    closed = server_factory(params=dict(FAST, registration="closed")).start()
    r, data = request(closed, "POST", "/new")
    assert r.status == 403 and data == b'{"reason":"Registration is closed"}'
    assert r.getheader("Content-Type") == "application/json"


def test_pipelined_requests_after_new(server_factory):
    srv = server_factory(params=dict(FAST)).start()
    s = socket.create_connection((srv.host, srv.port("http_port")), timeout=10)
    s.sendall(b"POST /new HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
              b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    first = data.index(b"HTTP/1.1 200")
    second = data.index(b"HTTP/1.1 200", first + 1)
    assert b'"email"' in data[first:second]
    assert data[second:].endswith(b"version: STSv1\r\nmode: enforce\r\nmx: example.org\r\n"
                                  b"max_age: 2419200\r\n")


def test_autoconfig_and_metrics(server_factory):
    srv = server_factory(params=dict(FAST, smtp_port="0")).start()
    r, data = request(srv, "GET", "/.well-known/autoconfig/mail/config-v1.1.xml")
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/xml; charset=utf-8"
    text = data.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n')
    ports = re.findall(r"<port>(\d+)</port>", text)
    assert ports == [str(srv.port(k)) for k in
                     ("imaps_port", "imap_port", "submissions_port", "submission_port")]
    assert request(srv, "GET", "/mail/config-v1.1.xml")[1] == data
    bad = Imap(srv)
    assert bad.login("metrics01@example.org", "wrong-pw").startswith("NO")
    bad.close()
    m = Imap(srv)
    assert m.login("metrics01@example.org", "metrics-pw").startswith("OK")
    r, data = request(srv, "GET", "/metrics")
    assert r.status == 200
    text = data.decode()
    assert 'chatrelay_auth_total{result="ok"} 1' in text
    assert 'chatrelay_auth_total{result="fail"} 1' in text  # "wrong-pw" is too short for JIT
    assert "chatrelay_accounts 1" in text
    assert "chatrelay_imap_sessions 1" in text
    assert "example.org" not in text and "127.0.0.1" not in text
    m.close()


def test_resource_checks_refuse_creation_only(server_factory):
    srv = server_factory(params=dict(FAST, min_free_disk_space="1000000G")).start()
    r, data = request(srv, "POST", "/new")
    assert r.status == 503
    assert data == b'{"reason":"Account creation is temporarily unavailable"}'
    m = Imap(srv)
    assert m.login("resource1@example.org", "password123").startswith("NO [UNAVAILABLE]")
    m.close()
    s = Smtp(srv)
    assert s.auth_plain("resource1@example.org", "password123") == \
        "454 4.7.0 Temporary authentication failure, try again later"
    s.close()
    # Existing accounts keep working (AUTH-3 only guards creation).
    cli(srv, "account", "add", "existing1@example.org", "--password", "password123", check=0)
    m = Imap(srv)
    assert m.login("existing1@example.org", "password123").startswith("OK")
    m.close()


def test_get_new_redirects_with_a_real_certificate(server_factory, tmpdir_srv):
    cert = os.path.join(tmpdir_srv, "cert.pem")
    key = os.path.join(tmpdir_srv, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=example.org",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o644)
    srv = server_factory(params=dict(FAST, tls_cert=cert, tls_key=key)).start()
    r, data = request(srv, "GET", "/new")
    assert r.status == 301
    assert r.getheader("Location") == "dcaccount:https://example.org/new"
    assert r.getheader("Content-Type") == "application/json" and data == b"{}"
    r, data = request(srv, "POST", "/new")
    doc = json.loads(data)
    assert r.status == 200 and not doc["dclogin_url"].endswith("&ic=3")
