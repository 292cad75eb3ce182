import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from chatrelay_server import Server, make_tmpdir  # noqa: E402


@pytest.fixture
def tmpdir_srv():
    d = make_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server_factory(tmpdir_srv):
    """Start servers on free loopback ports; stopped (and checked) at teardown."""
    servers = []

    def make(**kw):
        kw.setdefault("tmpdir", tmpdir_srv)
        kw.setdefault("name", f"srv{len(servers)}")
        s = Server(**kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc is not None and s.proc.poll() is None:
            rc = s.stop()
            assert rc == 0, s.log()
        if s.proc is not None:
            s.assert_clean_log()


@pytest.fixture
def server(server_factory):
    return server_factory().start()
