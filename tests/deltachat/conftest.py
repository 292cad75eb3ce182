import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))

import shutil  # noqa: E402

import pytest  # noqa: E402

from chatrelay_server import Server, make_tmpdir  # noqa: E402
from dc_rpc import RPC_BIN, DeltaChat  # noqa: E402


@pytest.fixture
def dc():
    if not os.path.exists(RPC_BIN):
        pytest.fail(f"{RPC_BIN} missing: run npm ci in tests/deltachat")
    d = DeltaChat()
    yield d
    d.close()
    shutil.rmtree(d.accounts_dir, ignore_errors=True)


def configure(dc, srv, addr, pw, mode):
    acc = dc.call("add_account")
    sec = {"ssl": "1", "starttls": "2", "plain": "3"}[mode]
    imap = srv.port("imaps_port") if mode == "ssl" else srv.port("imap_port")
    smtp = srv.port("submissions_port") if mode == "ssl" else srv.port("submission_port")
    dc.call("batch_set_config", acc, {
        "addr": addr, "mail_pw": pw, "mail_server": "127.0.0.1", "mail_port": str(imap),
        "mail_security": sec, "send_server": "127.0.0.1", "send_port": str(smtp),
        "send_security": sec, "send_user": addr, "send_pw": pw,
        "imap_certificate_checks": "3", "bot": "1"})
    dc.call("configure", acc, timeout=60)
    dc.call("start_io", acc)
    return acc


@pytest.fixture
def srv():
    tmp = make_tmpdir()
    s = Server(tmpdir=tmp, params={"dkim_verify": "no", "push": "no"}).start()
    yield s
    assert s.stop() == 0, s.log()
    s.assert_clean_log()
    shutil.rmtree(tmp, ignore_errors=True)


