"""The Delta Chat driver itself: the real core starts and answers JSON-RPC calls."""
import os
import shutil

import pytest

from dc_rpc import DeltaChat, RPC_BIN, RpcError


@pytest.fixture
def dc():
    if not os.path.exists(RPC_BIN):
        pytest.fail(f"{RPC_BIN} missing: run npm ci in tests/deltachat")
    d = DeltaChat()
    yield d
    d.close()
    shutil.rmtree(d.accounts_dir, ignore_errors=True)


def test_core_answers_and_creates_accounts(dc):
    info = dc.call("get_system_info")
    assert info["deltachat_core_version"].startswith("v2.62")
    first = dc.call("add_account")
    second = dc.call("add_account")
    assert first != second
    assert sorted(dc.call("get_all_account_ids")) == sorted([first, second])
    assert dc.call("is_configured", first) is False


def test_unknown_method_is_an_error(dc):
    with pytest.raises(RpcError):
        dc.call("no_such_method_exists")
