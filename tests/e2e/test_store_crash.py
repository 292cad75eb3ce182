"""STORE-7 / IMAP-54 / IMAP-55: kill -9 during deliveries loses nothing acknowledged.

A child process (tests/tools/store_crash_child.c) delivers messages to two
accounts from four threads with real fsync and prints each one only after
it is durable. It is killed with SIGKILL at random moments; after every
kill the store is reopened (indexes recovered) and every acknowledged
message must be present exactly once with the UID it was acknowledged
with, UIDs unique and ascending, and UIDVALIDITY, UIDNEXT and
HIGHESTMODSEQ must not have gone backwards. A third account sees flag
changes and expunges at the same time: every acknowledged modseq stays at
or below HIGHESTMODSEQ after recovery (IMAP-55), and an acknowledged
expunge never comes back.
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

BIN = os.environ.get("CHATRELAY_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "asan", "chatrelay")
CHILD = os.path.join(os.path.dirname(os.path.abspath(BIN)), "tests", "store_crash_child")
ROUNDS = 25


def verify(data_dir):
    out = subprocess.run([CHILD, "verify", data_dir], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "corrupt" not in out.stderr, out.stderr
    msgs, state = {}, {}
    for line in out.stdout.splitlines():
        f = line.split()
        if f[0] == "MSG":
            msgs.setdefault(f[1], []).append((int(f[2]), int(f[3])))
        elif f[0] == "STATE":
            state[f[1]] = (int(f[2]), int(f[3]), int(f[4]))
    return msgs, state


def test_kill9_loses_no_acknowledged_message():
    assert os.path.exists(CHILD), "build it with: make SAN=1 unit-bins"
    data_dir = tempfile.mkdtemp(prefix="chatrelay-crash-")
    rng = random.Random(int(os.environ.get("CRASH_SEED", "4711")))
    acked = {}          # seq -> (uid a, uid b)
    max_mod = 0         # highest acknowledged modseq of account c
    gone = set()        # acknowledged expunges of account c
    prev = {}
    accounts = ("a@example.org", "b@example.org")
    try:
        for rnd in range(ROUNDS):
            proc = subprocess.Popen([CHILD, "deliver", data_dir, str(rnd * 1000000)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.02, 0.25))
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL, err.decode()
            lines = out.decode().split("\n")
            lines.pop()   # "" after the last newline, or a line cut by the kill: never acked
            for line in lines:
                f = line.split()
                if len(f) == 4 and f[0] == "ACK":
                    acked[int(f[1])] = (int(f[2]), int(f[3]))
                elif len(f) == 2 and f[0] == "MOD":
                    max_mod = max(max_mod, int(f[1]))
                elif len(f) == 2 and f[0] == "GONE":
                    gone.add(int(f[1]))
            msgs, state = verify(data_dir)
            for i, acct in enumerate(accounts):
                lst = msgs.get(acct, [])
                uids = [u for u, _ in lst]
                assert uids == sorted(set(uids)), "UIDs not unique and ascending"
                seqs = [s for _, s in lst]
                assert -1 not in seqs and -2 not in seqs, "partial or unreadable message"
                assert len(seqs) == len(set(seqs)), "a message is present twice"
                by_seq = {s: u for u, s in lst}
                for seq, pair in acked.items():
                    assert seq in by_seq, f"round {rnd}: acknowledged {seq} lost in {acct}"
                    assert by_seq[seq] == pair[i], f"UID of acknowledged {seq} changed"
                uidvalidity, uidnext, hms = state[acct]
                assert not uids or uidnext > max(uids)
                if acct in prev and prev[acct][0] != 0:   # 0: no mailbox yet
                    assert uidvalidity == prev[acct][0], "index lost: UIDVALIDITY changed"
                    assert uidnext >= prev[acct][1], "UIDNEXT went backwards"
                    assert hms >= prev[acct][2], "HIGHESTMODSEQ went backwards"
                prev[acct] = state[acct]
            c = "c@example.org"
            if c in state:
                assert state[c][2] >= max_mod, "HIGHESTMODSEQ below an acknowledged modseq"
                c_uids = {u for u, _ in msgs.get(c, [])}
                assert not (c_uids & gone), "an acknowledged expunge came back"
                assert all(u < state[c][1] for u in gone), "UIDNEXT below an expunged UID"
        assert len(acked) > ROUNDS, "the child acknowledged almost nothing"
        assert max_mod > 0 and gone, "the churn thread did nothing"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
