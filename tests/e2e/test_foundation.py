"""Foundation end to end: listeners, TLS, STARTTLS, signals, lock, config, limits, No-Log.

Every test boots the real binary (build/asan/chatrelay under `make test`) on
free loopback ports with a temp data dir.
"""
import hashlib
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
import warnings

import pytest

from chatrelay_server import BIN, Server


def client_ctx(min_version=ssl.TLSVersion.TLSv1_2, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def connect(port, host="127.0.0.1", source=None, timeout=10):
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    return s


def read_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf.decode("utf-8", "replace")


def read_smtp_reply(sock):
    lines = []
    while True:
        line = read_line(sock)
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return lines


def tls_wrap(sock, **kw):
    return client_ctx(**kw).wrap_socket(sock, server_hostname=None)


def cert_fingerprint(tls_sock):
    return hashlib.sha256(tls_sock.getpeercert(binary_form=True)).hexdigest()


def test_every_listener_answers(server):
    for key in ("smtp_port", "submission_port"):
        with connect(server.port(key)) as s:
            assert read_line(s) == "220 example.org ESMTP\r\n"
    with tls_wrap(connect(server.port("submissions_port"))) as s:
        assert read_line(s) == "220 example.org ESMTP\r\n"
    with connect(server.port("imap_port")) as s:
        line = read_line(s)
        assert line.startswith("* OK [CAPABILITY IMAP4rev1") and line.endswith("example.org ready.\r\n")
    with tls_wrap(connect(server.port("imaps_port"))) as s:
        line = read_line(s)
        assert line.startswith("* OK [CAPABILITY IMAP4rev1") and "STARTTLS" not in line
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port('http_port')}/") as r:
        body = r.read().decode()
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/html")
        assert 'href="DCACCOUNT:https://example.org/new"' in body
        assert r.headers.get("Server") is None


def test_ehlo_lists_starttls_only_before_tls(server):
    with connect(server.port("smtp_port")) as s:
        read_line(s)
        s.sendall(b"EHLO client.test\r\n")
        reply = read_smtp_reply(s)
        assert reply[0] == "250-example.org\r\n"
        assert "250-STARTTLS\r\n" in reply
        assert not any("AUTH" in line for line in reply)  # MX never offers AUTH
        assert reply[-1] == "250 SMTPUTF8\r\n"
    with tls_wrap(connect(server.port("submissions_port"))) as s:
        read_line(s)
        s.sendall(b"EHLO client.test\r\n")
        reply = read_smtp_reply(s)
        assert "250-STARTTLS\r\n" not in reply
        assert "250-AUTH PLAIN LOGIN\r\n" in reply


@pytest.mark.parametrize("key", ["submissions_port", "imaps_port"])
def test_tls12_accepted_tls11_refused(server, key):
    with tls_wrap(connect(server.port(key)), max_version=ssl.TLSVersion.TLSv1_2) as s:
        assert s.version() == "TLSv1.2"
        assert read_line(s)
    with tls_wrap(connect(server.port(key))) as s:
        assert s.version() == "TLSv1.3"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = client_ctx(min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1_1)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with connect(server.port(key)) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
            with ctx.wrap_socket(raw) as s:
                s.recv(1)


def test_tls_alpn_is_selected_per_listener_and_never_fails(server):
    ctx = client_ctx()
    ctx.set_alpn_protocols(["imap"])
    with ctx.wrap_socket(connect(server.port("imaps_port"))) as s:
        assert s.selected_alpn_protocol() == "imap"
    ctx = client_ctx()
    ctx.set_alpn_protocols(["h2", "something-else"])
    with ctx.wrap_socket(connect(server.port("submissions_port"))) as s:
        assert s.selected_alpn_protocol() is None
        assert read_line(s).startswith("220 ")


def test_smtp_starttls_discards_pipelined_plaintext(server):
    with connect(server.port("submission_port")) as s:
        read_line(s)
        s.sendall(b"EHLO a\r\n")
        read_smtp_reply(s)
        # NET-5: "NOOP" arrives with STARTTLS in one segment and must be discarded.
        s.sendall(b"STARTTLS\r\nNOOP\r\n")
        assert read_line(s) == "220 2.0.0 Ready to start TLS\r\n"
        with tls_wrap(s) as t:
            t.sendall(b"EHLO b\r\n")
            reply = read_smtp_reply(t)
            assert reply[0] == "250-example.org\r\n", reply
            assert "250-STARTTLS\r\n" not in reply
            t.sendall(b"STARTTLS\r\n")
            assert read_line(t) == "503 5.5.1 TLS already active\r\n"


def test_imap_starttls_discards_pipelined_plaintext(server):
    with connect(server.port("imap_port")) as s:
        read_line(s)
        s.sendall(b"a STARTTLS\r\nb NOOP\r\n")
        assert read_line(s) == "a OK Begin TLS negotiation now.\r\n"
        with tls_wrap(s) as t:
            t.sendall(b"c CAPABILITY\r\n")
            first = read_line(t)
            assert first.startswith("* CAPABILITY IMAP4rev1"), first
            assert "STARTTLS" not in first
            assert read_line(t) == "c OK Capability completed.\r\n"
            t.sendall(b"d STARTTLS\r\n")
            assert read_line(t) == "d BAD TLS is already active.\r\n"


def test_failed_handshake_gets_no_protocol_reply(server):
    with connect(server.port("imaps_port")) as s:
        s.sendall(b"a LOGIN user pass\r\n")  # plaintext on an implicit-TLS port
        s.settimeout(10)
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        # at most a TLS alert record (type 21), never protocol text
        assert data == b"" or data[0] == 21, data


def make_cert(tmpdir, name, cn):
    cert = os.path.join(tmpdir, name + ".pem")
    key = os.path.join(tmpdir, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + cn],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)
    return cert, key


def test_sighup_reloads_certificate_and_keeps_sessions(server_factory, tmpdir_srv):
    cert, key = make_cert(tmpdir_srv, "live", "first.test")
    srv = server_factory(params={"tls_cert": cert, "tls_key": key}).start()
    old = tls_wrap(connect(srv.port("imaps_port")))
    read_line(old)
    first = cert_fingerprint(old)

    new_cert, new_key = make_cert(tmpdir_srv, "next", "second.test")
    os.replace(new_cert, cert)
    os.replace(new_key, key)
    srv.signal(signal.SIGHUP)
    srv.wait_for_log("TLS certificate reloaded")

    with tls_wrap(connect(srv.port("imaps_port"))) as fresh:
        read_line(fresh)
        assert cert_fingerprint(fresh) != first
    old.sendall(b"a NOOP\r\n")
    assert read_line(old) == "a OK NOOP completed.\r\n"
    assert cert_fingerprint(old) == first
    old.close()


def test_sighup_with_broken_certificate_keeps_old_pair(server_factory, tmpdir_srv):
    cert, key = make_cert(tmpdir_srv, "live", "first.test")
    srv = server_factory(params={"tls_cert": cert, "tls_key": key}).start()
    with tls_wrap(connect(srv.port("imaps_port"))) as s:
        before = cert_fingerprint(s)
    with open(cert, "w") as f:
        f.write("not a certificate\n")
    srv.signal(signal.SIGHUP)
    srv.wait_for_log("TLS reload failed")
    with tls_wrap(connect(srv.port("imaps_port"))) as s:
        assert cert_fingerprint(s) == before


def test_sigterm_says_goodbye_and_exits_zero(server):
    imap = connect(server.port("imap_port"))
    read_line(imap)
    smtp = connect(server.port("smtp_port"))
    read_line(smtp)
    start = time.monotonic()
    server.signal(signal.SIGTERM)
    assert read_line(imap) == "* BYE Server shutting down.\r\n"
    assert read_line(smtp) == "421 4.3.2 example.org Service shutting down\r\n"
    assert server.wait(timeout=35) == 0
    assert time.monotonic() - start < 30
    imap.close()
    smtp.close()
    server.assert_clean_log()


def test_second_server_on_same_data_dir_exits_1(server, server_factory):
    second = server_factory(params={"data_dir": server.params["data_dir"]})
    second.start(wait=False)
    assert second.wait(timeout=20) == 1
    assert "in use by another chatrelay process" in second.log()


def test_invalid_config_exits_2_with_file_and_line(server_factory):
    srv = server_factory(raw_config="[params]\nmail_domain = example.org\n"
                                    "max_message_size = lots\n")
    srv.start(wait=False)
    assert srv.wait(timeout=20) == 2
    assert f"{srv.config_path}:3: max_message_size: 'lots' is not a size" in srv.log()


def test_missing_mail_domain_exits_2(server_factory):
    srv = server_factory(raw_config="[params]\nsmtp_port = 2525\n")
    srv.start(wait=False)
    assert srv.wait(timeout=20) == 2
    assert "mail_domain is required" in srv.log()


def test_bind_failure_exits_1_naming_listener(server_factory):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        srv = server_factory(params={"imap_port": str(busy.getsockname()[1])})
        srv.start(wait=False)
        assert srv.wait(timeout=20) == 1
        assert f"listener imap on 127.0.0.1 port {busy.getsockname()[1]}" in srv.log()
    finally:
        busy.close()


def test_version_command():
    out = subprocess.run([BIN, "version"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("chatrelay ")
    assert "OpenSSL 3" in lines[1] and "libxcrypt" in lines[1]


def test_unknown_command_is_usage_error():
    r = subprocess.run([BIN, "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_smtp_connection_limit(server_factory):
    srv = server_factory(params={"max_smtp_connections": "2"}).start()
    a = connect(srv.port("smtp_port"))
    b = connect(srv.port("submission_port"))
    assert read_line(a).startswith("220 ") and read_line(b).startswith("220 ")
    with connect(srv.port("smtp_port")) as c:
        assert read_line(c) == "421 4.7.0 example.org Too many connections\r\n"
        assert c.recv(10) == b""
    a.close()
    time.sleep(0.3)
    with connect(srv.port("smtp_port")) as d:
        assert read_line(d).startswith("220 ")
    b.close()


def test_imap_connection_limit_after_handshake_on_imaps(server_factory):
    srv = server_factory(params={"max_imap_connections": "1"}).start()
    a = connect(srv.port("imap_port"))
    assert read_line(a).startswith("* OK")
    with tls_wrap(connect(srv.port("imaps_port"))) as t:
        assert read_line(t) == "* BYE Too many connections.\r\n"
    with connect(srv.port("imap_port")) as c:
        assert read_line(c) == "* BYE Too many connections.\r\n"
    a.close()


def test_smtp_line_too_long_keeps_session(server):
    with connect(server.port("smtp_port")) as s:
        read_line(s)
        s.sendall(b"NOOP " + b"x" * 1200 + b"\r\nNOOP\r\n")
        assert read_line(s) == "500 5.5.2 Line too long\r\n"
        assert read_line(s) == "250 2.0.0 OK\r\n"


def test_smtp_auth_line_may_exceed_1000(server):
    # SMTP-2: an AUTH line may be longer than 1000 octets (up to SMTP_AUTH_LINE_MAX)
    with connect(server.port("submission_port")) as s:
        read_line(s)
        s.sendall(b"EHLO x\r\n")
        while read_line(s).startswith("250-"):
            pass
        s.sendall(b"AUTH PLAIN " + b"A" * 2000 + b"\r\nNOOP " + b"x" * 1200 + b"\r\n")
        assert read_line(s) == "501 5.5.2 Cannot decode response\r\n"
        assert read_line(s) == "500 5.5.2 Line too long\r\n"


def test_imap_line_too_long_keeps_session(server):
    with connect(server.port("imap_port")) as s:
        read_line(s)
        # IMAP_LINE_MAX is 65536 octets with the line end; the rest of the line is skipped
        s.sendall(b"a NOOP " + b"x" * 70000 + b"\r\nb NOOP\r\n")
        # IMAP-11: BAD with the tag when it could be read.
        assert read_line(s) == "a BAD Command line too long.\r\n"
        assert read_line(s) == "b OK NOOP completed.\r\n"


def test_http_head_limits(server):
    port = server.port("http_port")
    with connect(port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n")
        assert read_line(s).startswith("HTTP/1.1 431 ")
    with connect(port) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert read_line(s).startswith("HTTP/1.1 411 ")
    with connect(port) as s:
        s.sendall(b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_line(s).startswith("HTTP/1.1 405 ")
        head = ""
        while True:
            line = read_line(s)
            if line == "\r\n":
                break
            head += line
        assert "Allow: GET\r\n" in head
    with connect(port) as s:
        # keep-alive: two requests on one connection
        s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_line(s).startswith("HTTP/1.1 404 ")


def test_no_log_mode_hides_client_ip(server_factory):
    for no_log, expect in (("yes", False), ("no", True)):
        srv = server_factory(params={"no_log": no_log})
        srv.start()
        with connect(srv.port("smtp_port"), source="127.0.0.5") as s:
            read_line(s)
            s.sendall(b"QUIT\r\n")
            read_line(s)
        with connect(srv.port("imap_port"), source="127.0.0.5") as s:
            read_line(s)
        srv.stop()
        log = srv.log()
        assert ("127.0.0.5" in log) == expect, log
        assert ("sid=" in log) == expect, log


def test_generated_certificate_files(server):
    data = server.params["data_dir"]
    key = os.path.join(data, "tls", "key.pem")
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.stat(data).st_mode & 0o777 == 0o700
    out = subprocess.run(["openssl", "x509", "-in", os.path.join(data, "tls", "cert.pem"),
                          "-noout", "-text"], capture_output=True, text=True, check=True).stdout
    assert "Subject: CN = example.org" in out
    assert "DNS:example.org" in out
    assert "prime256v1" in out or "P-256" in out
    assert "ecdsa-with-SHA256" in out


def test_builtin_defaults_without_config(tmpdir_srv):
    """No -c and no /etc/chatrelay/chatrelay.ini: built-in defaults (CONF-1)."""
    if os.path.exists("/etc/chatrelay/chatrelay.ini"):
        pytest.skip("a system configuration exists")
    if os.geteuid() == 0:
        pytest.skip("built-in defaults have no user: root must refuse (tested below)")
    proc = subprocess.Popen([BIN, "serve"], cwd=tmpdir_srv, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 20
        log = ""
        while "ready" not in log and time.monotonic() < deadline:
            log += proc.stderr.readline()
        assert "built-in defaults" in log
        assert "listening smtp on 127.0.0.1:2525" in log
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=35) == 0


def test_root_without_user_exits_2(tmpdir_srv):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    cfg = os.path.join(tmpdir_srv, "root.ini")
    with open(cfg, "w") as f:
        f.write("[params]\nmail_domain = example.org\ndata_dir = ./d\n")
    r = subprocess.run([BIN, "serve", "-c", cfg], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2
    assert "'user' is not set" in r.stderr
