"""Account creation paths of DC-4 with the real client (issue 8 scenario 1):
`/new` returns a dclogin_url that the core configures from (implicit TLS,
ic=3 in self-signed mode), then it reaches IMAP IDLE."""
import json
import shutil
import urllib.request

import pytest

from chatrelay_server import Server, make_tmpdir


@pytest.fixture
def ipsrv():
    tmp = make_tmpdir()
    s = Server(tmpdir=tmp, params={"mail_domain": "127.0.0.1", "dkim_verify": "no",
                                   "push": "no"}).start()
    yield s
    assert s.stop() == 0, s.log()
    s.assert_clean_log()
    shutil.rmtree(tmp, ignore_errors=True)


def test_new_account_dclogin_url_configures_the_client(ipsrv, dc):
    req = urllib.request.Request(f"http://127.0.0.1:{ipsrv.port('http_port')}/new", data=b"",
                                 method="POST")
    with urllib.request.urlopen(req) as r:
        creds = json.loads(r.read())
    url = creds["dclogin_url"]
    assert url.startswith(f"dclogin:{creds['email']}?p=") and "&ic=3" in url
    acc = dc.call("add_account")
    dc.call("set_config_from_qr", acc, url)
    dc.call("set_config", acc, "bot", "1")
    dc.call("configure", acc, timeout=60)
    dc.call("start_io", acc)
    dc.wait_event(acc, "ImapInboxIdle", timeout=30)
    assert dc.call("get_config", acc, "configured_addr") == creds["email"], dc.report()
