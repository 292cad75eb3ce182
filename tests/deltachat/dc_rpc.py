"""A small driver for the real Delta Chat core (deltachat-rpc-server, JSON-RPC 2.0 over stdio).

One JSON object per line each way; responses are matched to requests by id
(they may arrive out of order). Events are long-polled with get_next_event
on a background thread and queued per account, so a test can wait for a
specific event and, when it fails, print the client's errors and warnings.
"""
import json
import os
import queue
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RPC_BIN = os.environ.get("DC_RPC_SERVER") or os.path.join(
    HERE, "node_modules", "@deltachat", "stdio-rpc-server-linux-x64", "deltachat-rpc-server")


class RpcError(Exception):
    pass


class DeltaChat:
    """One deltachat-rpc-server process with its own accounts directory."""

    def __init__(self, accounts_dir=None):
        self.accounts_dir = accounts_dir or tempfile.mkdtemp(prefix="dc-accounts-")
        env = dict(os.environ, DC_ACCOUNTS_PATH=self.accounts_dir, RUST_LOG="error")
        self.proc = subprocess.Popen([RPC_BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, bufsize=0)
        self._next_id = 0
        self._lock = threading.Lock()
        self._pending = {}
        self._events = {}
        self._log = []  # (account, kind, text) of Error/Warning events, for failure reports
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._poller = threading.Thread(target=self._event_loop, daemon=True)
        self._poller.start()

    def _send(self, method, params):
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            slot = queue.Queue(maxsize=1)
            self._pending[rid] = slot
            line = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        return slot

    def call(self, method, *params, timeout=60):
        slot = self._send(method, list(params))
        try:
            msg = slot.get(timeout=timeout)
        except queue.Empty:
            raise RpcError(f"{method}: no answer within {timeout}s\n{self.report()}") from None
        if "error" in msg:
            raise RpcError(f"{method}: {msg['error']}")
        return msg.get("result")

    def _read_loop(self):
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            slot = self._pending.pop(msg.get("id"), None)
            if slot is not None:
                slot.put(msg)

    def _event_loop(self):
        while not self._closed:
            try:
                ev = self.call("get_next_event", timeout=3600)
            except (RpcError, OSError, ValueError):
                return
            if ev is None:
                continue
            acc = ev.get("contextId")
            kind = ev.get("event", {}).get("kind")
            if kind in ("Error", "Warning", "ErrorSelfNotInGroup"):
                self._log.append((acc, kind, ev["event"].get("msg")))
            self._events.setdefault(acc, queue.Queue()).put(ev["event"])

    def wait_event(self, account, kind, timeout=30, match=None):
        """The next event of this kind (and matching the predicate) for the account."""
        q = self._events.setdefault(account, queue.Queue())
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"account {account}: no {kind} event within {timeout}s\n{self.report()}")
            try:
                ev = q.get(timeout=left)
            except queue.Empty:
                continue
            if ev.get("kind") == kind and (match is None or match(ev)):
                return ev

    def report(self):
        """The client's errors and warnings so far, for assertion messages."""
        lines = [f"  [{acc}] {kind}: {text}" for acc, kind, text in self._log[-50:]]
        return "Delta Chat errors/warnings:\n" + ("\n".join(lines) if lines else "  (none)")

    def close(self):
        self._closed = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
