"""Real IMAP clients from Debian against the server (issue 6: a real client reading the mailbox).

mbsync (isync) mirrors INBOX into a local Maildir over IMAPS and pushes a
flag change back; curl's IMAP client lists and fetches over STARTTLS. Both
are independent implementations that only see what the server says.
"""
import imaplib
import os
import shutil
import subprocess

import pytest

USER = "muareader@example.org"
PW = "mua-secret-1"
BODY = b"From: a@remote.test\r\nTo: muareader@example.org\r\nSubject: read me\r\n" \
       b"Message-ID: <mua1@remote.test>\r\n\r\nfirst line\r\nsecond line\r\n"


def seed(server):
    m = imaplib.IMAP4("127.0.0.1", server.port("imap_port"))
    m.login(USER, PW)
    typ, _ = m.append("INBOX", None, None, BODY)
    assert typ == "OK"
    m.logout()


def test_mbsync_mirrors_the_inbox_and_pushes_flags(server, tmpdir_srv):
    mbsync = shutil.which("mbsync")
    if mbsync is None:
        pytest.fail("mbsync (Debian package isync) is missing: run scripts/install-deps")
    seed(server)
    local = os.path.join(tmpdir_srv, "mirror")
    os.makedirs(local)
    rc = os.path.join(tmpdir_srv, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount t
Host 127.0.0.1
Port {server.port("imaps_port")}
User {USER}
Pass {PW}
SSLType IMAPS
CertificateFile /dev/null
SystemCertificates no

IMAPStore remote
Account t

MaildirStore local
Path {local}/
Inbox {local}/INBOX

Channel c
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync All
SyncState *
""")
    # the generated certificate is self-signed: accept it as mbsync does for a pinned cert
    cert = os.path.join(server.params["data_dir"], "tls", "cert.pem")
    with open(rc) as f:
        text = f.read().replace("CertificateFile /dev/null", f"CertificateFile {cert}")
    with open(rc, "w") as f:
        f.write(text)
    r = subprocess.run([mbsync, "-c", rc, "-a"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    files = [os.path.join(d, n) for d, _, ns in os.walk(os.path.join(local, "INBOX"))
             for n in ns if "/new" in d or "/cur" in d]
    assert len(files) == 1, files
    with open(files[0], "rb") as f:
        mirrored = f.read()
    # mbsync stores LF line ends and may add its own X-TUID tracking field
    mirrored = b"".join(l for l in mirrored.splitlines(True) if not l.startswith(b"X-TUID: "))
    assert mirrored == BODY.replace(b"\r\n", b"\n")
    # mark it seen locally (Maildir flag S) and push the change to the server
    cur = os.path.join(local, "INBOX", "cur")
    src = files[0]
    base = os.path.basename(src).split(":2,")[0]
    os.rename(src, os.path.join(cur, base + ":2,S"))
    r = subprocess.run([mbsync, "-c", rc, "-a"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    m = imaplib.IMAP4("127.0.0.1", server.port("imap_port"))
    m.login(USER, PW)
    m.select("INBOX")
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK" and b"\\Seen" in data[0], data
    m.logout()


def test_curl_lists_and_fetches_over_starttls(server):
    seed(server)
    base = f"imap://127.0.0.1:{server.port('imap_port')}"
    common = ["curl", "-sS", "--ssl-reqd", "-k", "--user", f"{USER}:{PW}", "--max-time", "30"]
    r = subprocess.run(common + [base + "/"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"INBOX" in r.stdout
    r = subprocess.run(common + [base + "/INBOX;UID=1"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == BODY
