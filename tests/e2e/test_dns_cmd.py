"""`chatrelay dns` (CLI-8, DKIM-3) against the real binary.

Every printed line is checked; the DKIM p= value must be the public half of
the key file as computed independently by `openssl rsa -pubout`, and the
MTA-STS id is recomputed from the HTTP-5 policy text.
"""
import hashlib
import os
import re
import shutil
import stat
import subprocess

import pytest

from chatrelay_server import BIN, make_tmpdir


@pytest.fixture
def tmp():
    d = make_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run_dns(tmp, params, args=()):
    path = os.path.join(tmp, "dns.ini")
    lines = ["[params]"] + [f"{k} = {v}" for k, v in params.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    return subprocess.run([BIN, "dns", "-c", path, *args], capture_output=True, text=True,
                          timeout=60, env=env)


def openssl_pubkey_b64(key_path):
    """The base64 of the SubjectPublicKeyInfo, as `openssl rsa -pubout` prints it."""
    out = subprocess.run(["openssl", "rsa", "-in", key_path, "-pubout"], capture_output=True,
                         text=True, check=True).stdout
    return "".join(l for l in out.splitlines() if not l.startswith("-----"))


def sts_id(hostname):
    # The id hashes the policy exactly as HTTP-5 serves it: four CRLF-terminated lines.
    policy = f"version: STSv1\r\nmode: enforce\r\nmx: {hostname}\r\nmax_age: 2419200\r\n"
    return hashlib.sha256(policy.encode()).hexdigest()[:12]


def txt_strings(line, owner):
    """The quoted strings of a TXT line, checking the frame and each length (<= 255)."""
    prefix = f"{owner} TXT "
    assert line.startswith(prefix), line
    rest = line[len(prefix):]
    strings = re.findall(r'"([^"]*)"', rest)
    assert rest == " ".join(f'"{s}"' for s in strings), line
    assert all(len(s) <= 255 for s in strings), [len(s) for s in strings]
    return strings


def test_dns_name_domain(tmp):
    data = os.path.join(tmp, "data")
    params = {"mail_domain": "chat.example.org", "hostname": "mx.example.org",
              "data_dir": data, "submission_port": "5870", "submissions_port": "4650",
              "imap_port": "0", "imaps_port": "9930"}
    r = run_dns(tmp, params)
    assert r.returncode == 0, r.stderr
    key_path = os.path.join(data, "dkim", "opendkim.private")
    st = os.stat(key_path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    with open(key_path) as f:
        assert f.read().startswith("-----BEGIN RSA PRIVATE KEY-----")
    pub = openssl_pubkey_b64(key_path)

    lines = r.stdout.splitlines()
    assert lines[0] == "chat.example.org. MX 10 mx.example.org."
    assert lines[1] == 'chat.example.org. TXT "v=spf1 a mx ~all"'
    strings = txt_strings(lines[2], "opendkim._domainkey.chat.example.org.")
    assert len(strings) == 2  # a 2048-bit key makes the record longer than 255 octets
    assert "".join(strings) == f"v=DKIM1; k=rsa; s=email; t=s; p={pub}"
    assert lines[3:] == [
        '_dmarc.chat.example.org. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"',
        f'_mta-sts.chat.example.org. TXT "v=STSv1; id={sts_id("mx.example.org")}"',
        "mta-sts.chat.example.org. CNAME mx.example.org.",
        "autoconfig.chat.example.org. CNAME mx.example.org.",
        "_submission._tcp.chat.example.org. SRV 0 1 5870 mx.example.org.",
        "_submissions._tcp.chat.example.org. SRV 0 1 4650 mx.example.org.",
        # imap_port = 0: no _imap line
        "_imaps._tcp.chat.example.org. SRV 0 1 9930 mx.example.org.",
        "; mx.example.org needs A and/or AAAA records with the addresses of this server",
        "; the TLS certificate must cover chat.example.org, mta-sts.chat.example.org and "
        "autoconfig.chat.example.org",
    ]
    # A second run keeps the key: the published record stays valid.
    r2 = run_dns(tmp, params)
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r.stdout
    assert openssl_pubkey_b64(key_path) == pub


def test_dns_existing_opendkim_key_and_defaults(tmp):
    """A chatmail relay's key (DKIM-3) at a configured path is used as it is."""
    key_path = os.path.join(tmp, "opendkim.private")
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", key_path, "2048"],
                   check=True, capture_output=True)
    params = {"mail_domain": "relay.test", "data_dir": os.path.join(tmp, "data"),
              "dkim_key": key_path, "dkim_selector": "sel2026"}
    r = run_dns(tmp, params)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "relay.test. MX 10 relay.test."
    strings = txt_strings(lines[2], "sel2026._domainkey.relay.test.")
    assert "".join(strings) == f"v=DKIM1; k=rsa; s=email; t=s; p={openssl_pubkey_b64(key_path)}"
    assert f'_mta-sts.relay.test. TXT "v=STSv1; id={sts_id("relay.test")}"' in lines
    # Default ports: all four SRV lines.
    assert [l for l in lines if " SRV " in l] == [
        "_submission._tcp.relay.test. SRV 0 1 5870 relay.test.",
        "_submissions._tcp.relay.test. SRV 0 1 4650 relay.test.",
        "_imap._tcp.relay.test. SRV 0 1 1430 relay.test.",
        "_imaps._tcp.relay.test. SRV 0 1 9930 relay.test.",
    ]
    assert not os.path.exists(os.path.join(tmp, "data", "dkim"))


def test_dns_signing_off(tmp):
    data = os.path.join(tmp, "data")
    r = run_dns(tmp, {"mail_domain": "relay.test", "data_dir": data, "dkim_sign": "no",
                      "submission_port": "0", "imaps_port": "0"})
    assert r.returncode == 0, r.stderr
    assert "_domainkey" not in r.stdout
    assert not os.path.exists(os.path.join(data, "dkim"))
    lines = r.stdout.splitlines()
    assert len(lines) == 10
    assert [l for l in lines if " SRV " in l] == [
        "_submissions._tcp.relay.test. SRV 0 1 4650 relay.test.",
        "_imap._tcp.relay.test. SRV 0 1 1430 relay.test.",
    ]


def test_dns_ip_literal(tmp):
    data = os.path.join(tmp, "data")
    r = run_dns(tmp, {"mail_domain": "127.0.0.2", "data_dir": data})
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("; the mail domain [127.0.0.2] is an IP literal: "
                        "no DNS records are needed\n")
    # No key is made for a domain that is never signed (DKIM-1).
    assert not os.path.exists(os.path.join(data, "dkim"))


def test_dns_usage_and_bad_key(tmp):
    r = run_dns(tmp, {"mail_domain": "relay.test", "data_dir": os.path.join(tmp, "d")},
                args=("extra",))
    assert r.returncode == 2
    assert "usage" in r.stderr
    bad = os.path.join(tmp, "bad.private")
    with open(bad, "w") as f:
        f.write("not a key\n")
    r = run_dns(tmp, {"mail_domain": "relay.test", "data_dir": os.path.join(tmp, "d"),
                      "dkim_key": bad})
    assert r.returncode == 1
    assert r.stdout == ""
    assert "not a PEM private key" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (GEN-3)")
def test_dns_as_root_creates_key_for_user(tmp):
    """Started as root with `user`, the key belongs to that user, so the server can read it."""
    import pwd
    nobody = pwd.getpwnam("nobody")
    data = os.path.join(tmp, "data")
    r = run_dns(tmp, {"mail_domain": "relay.test", "data_dir": data, "user": "nobody"})
    assert r.returncode == 0, r.stderr
    key_path = os.path.join(data, "dkim", "opendkim.private")
    st = os.stat(key_path)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (nobody.pw_uid, 0o600)
    assert os.stat(data).st_uid == nobody.pw_uid
    assert f"p={openssl_pubkey_b64(key_path)}" in r.stdout.replace('" "', "")


def test_sts_id_matches_the_served_policy(server_factory):
    import urllib.request
    srv = server_factory(params={"mail_domain": "relay.test"}).start()
    url = f"http://127.0.0.1:{srv.port('http_port')}/.well-known/mta-sts.txt"
    with urllib.request.urlopen(url) as r:
        served = r.read()
    out = subprocess.run([BIN, "dns", "-c", srv.config_path], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
    assert out.returncode == 0, out.stderr
    want = hashlib.sha256(served).hexdigest()[:12]
    assert f'_mta-sts.relay.test. TXT "v=STSv1; id={want}"' in out.stdout.splitlines()
