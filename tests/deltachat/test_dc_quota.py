"""Issue 8 scenario 10: the quota the client shows is the server's usage and limit
(GETQUOTAROOT, IMAP-56). 1 MiB is stored in a folder Delta Chat does not
empty, before the client connects; the client's connectivity view must show
that usage against max_mailbox_size."""
import imaplib
import re
import shutil
import time

import pytest

from chatrelay_server import Server, make_tmpdir
from conftest import configure

ADDR, PW = "quotauser@example.org", "password-quota"


@pytest.fixture
def qsrv():
    tmp = make_tmpdir()
    s = Server(tmpdir=tmp, params={"dkim_verify": "no", "push": "no",
                                   "max_mailbox_size": "3M"}).start()
    yield s
    assert s.stop() == 0, s.log()
    s.assert_clean_log()
    shutil.rmtree(tmp, ignore_errors=True)


def test_client_shows_server_quota(qsrv, dc):
    m = imaplib.IMAP4("127.0.0.1", qsrv.port("imap_port"))
    m.login(ADDR, PW)  # JIT creation
    m.create("Stash")
    body = b"Subject: big\r\n\r\n" + (b"x" * 1022 + b"\r\n") * 1024
    assert m.append("Stash", None, None, body)[0] == "OK"
    typ, data = m.getquotaroot("INBOX")
    used_kib = int(re.search(rb"STORAGE (\d+) (\d+)", data[1][0]).group(1))
    m.logout()
    acc = configure(dc, qsrv, ADDR, PW, "plain")
    dc.wait_event(acc, "ImapInboxIdle", timeout=30)
    deadline = time.monotonic() + 20
    text = ""
    while time.monotonic() < deadline:
        text = " ".join(re.sub("<[^>]+>", " ", dc.call("get_connectivity_html", acc)).split())
        if "of 3 MiB used" in text and "0 B of" not in text:
            break
        time.sleep(0.5)
    assert used_kib >= 1024
    assert re.search(r"1(\.\d+)? MiB of 3 MiB used 3[34]%", text), text[-300:]
