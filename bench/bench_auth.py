#!/usr/bin/env python3
"""Logins per second against the real binary (issue 3 benchmark, not a test).

Warm: the same account logs in again and again over fresh IMAP connections,
answered from the verified-credential cache (AUTH-8) without crypt.
Cold: accounts created beforehand log in once each, so every login runs a
yescrypt verification on the worker pool (AUTH-11).

  CHATRELAY_BIN=build/release/chatrelay python3 bench/bench_auth.py [N] [CLIENTS]
"""
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))

from accounts_helpers import Imap  # noqa: E402
from chatrelay_server import BIN, Server  # noqa: E402


def run_logins(srv, pairs, clients):
    """Log in each (address, password) once, spread over `clients` threads."""
    errors = []

    def worker(chunk):
        for addr, pw in chunk:
            try:
                m = Imap(srv)
                if not m.login(addr, pw).startswith("OK"):
                    errors.append(addr)
                m.close()
            except OSError as e:
                errors.append(str(e))

    chunks = [pairs[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    if errors:
        raise SystemExit(f"{len(errors)} logins failed")
    return len(pairs) / elapsed


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    params = {"auth_failure_delay": "0s", "log_level": "info", "min_available_memory": "0",
              "min_free_disk_space": "0", "threads": "2"}
    srv = Server(params=params, name="bench1")
    cold = [(f"cold{i:05d}@example.org", f"password-{i:05d}") for i in range(n)]
    srv.start()
    try:
        # Create the cold accounts through the server (JIT), then restart to empty the cache.
        run_logins(srv, cold, clients)
    finally:
        srv.stop()
    srv = Server(tmpdir=srv.tmpdir, params=dict(params, data_dir=srv.params["data_dir"]),
                 name="bench2")
    srv.start()
    try:
        cold_rate = run_logins(srv, cold, clients)
        warm = [("cold00000@example.org", "password-00000")] * n
        warm_rate = run_logins(srv, warm, clients)
    finally:
        srv.stop()
        shutil.rmtree(srv.tmpdir, ignore_errors=True)
    print(f"binary: {BIN}")
    print(f"cold (yescrypt on {srv.params['threads']} worker threads): {cold_rate:8.1f} logins/s")
    print(f"warm (credential cache):                      {warm_rate:8.1f} logins/s")


if __name__ == "__main__":
    main()
