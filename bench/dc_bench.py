"""bench/dc_bench.py - Delta Chat send-to-receive latency (issue 9).

The real client: the pinned deltachat-rpc-server of tests/deltachat (installed
by `make dc-deps`), driven over JSON-RPC on stdio by a small client of its
own here (bench/ does not import tests/). Two accounts on one server,
configured with explicit plain IMAP + submission on loopback, a Secure-Join
(so every message after it is end-to-end encrypted, the padlock is checked),
then 20 text messages A -> B spaced 1.1 s apart (the core rate-limits itself
to about 3 messages per 3 s); latency = from the send call to B's
IncomingMsg event for that text. Median and p99 (of 20: the slowest).
Must not: talk to anything but 127.0.0.0/8 (webxdc realtime, i.e. iroh, is
switched off), leave the client running, wait unbounded.
"""
import json
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from benchlib import percentile

HERE = os.path.dirname(os.path.abspath(__file__))
RPC_BIN = os.environ.get("DC_RPC_SERVER") or os.path.join(
    HERE, "..", "tests", "deltachat", "node_modules", "@deltachat",
    "stdio-rpc-server-linux-x64", "deltachat-rpc-server")


class DcError(Exception):
    pass


class DeltaChat:
    """One deltachat-rpc-server with a temp accounts dir; responses matched
    by id, events long-polled on a thread and queued per account."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-dc-")
        env = dict(os.environ, DC_ACCOUNTS_PATH=self.dir, RUST_LOG="error")
        self.proc = subprocess.Popen([RPC_BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, bufsize=0)
        self.lock = threading.Lock()
        self.next_id = 0
        self.pending = {}
        self.events = {}
        self.errors = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._poll, daemon=True).start()

    def call(self, method, *params, timeout=60):
        with self.lock:
            self.next_id += 1
            rid = self.next_id
            slot = self.pending[rid] = queue.Queue(maxsize=1)
            self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                                              "params": list(params)}).encode() + b"\n")
            self.proc.stdin.flush()
        try:
            msg = slot.get(timeout=timeout)
        except queue.Empty:
            raise DcError(f"{method}: no answer within {timeout} s; {self.report()}") from None
        if "error" in msg:
            raise DcError(f"{method}: {msg['error']}")
        return msg.get("result")

    def _read(self):
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            slot = self.pending.pop(msg.get("id"), None)
            if slot is not None:
                slot.put(msg)

    def _poll(self):
        while not self.closed:
            try:
                ev = self.call("get_next_event", timeout=3600)
            except (DcError, OSError, ValueError):
                return
            if not ev:
                continue
            kind = ev.get("event", {}).get("kind")
            if kind in ("Error", "Warning"):
                self.errors.append(f"[{ev.get('contextId')}] {kind}: {ev['event'].get('msg')}")
            self.events.setdefault(ev.get("contextId"), queue.Queue()).put(ev["event"])

    def wait_event(self, acc, kind, timeout, match=None):
        q = self.events.setdefault(acc, queue.Queue())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if ev.get("kind") == kind and (match is None or match(ev)):
                return ev
        raise DcError(f"account {acc}: no {kind} within {timeout} s; {self.report()}")

    def report(self):
        return "client errors: " + (" | ".join(self.errors[-5:]) or "none")

    def close(self):
        self.closed = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _configure(dc, target, addr):
    acc = dc.call("add_account")
    host = target["host"]
    dc.call("batch_set_config", acc, {
        "addr": addr, "mail_pw": target["password"],
        "mail_server": host, "mail_port": str(target["imap_port"]), "mail_security": "3",
        "send_server": host, "send_port": str(target["submission_port"]),
        "send_security": "3", "send_user": addr, "send_pw": target["password"],
        "imap_certificate_checks": "3", "bot": "1", "webxdc_realtime_enabled": "0"})
    dc.call("configure", acc, timeout=90)
    dc.call("start_io", acc)
    return acc


def latency(target, count=20, spacing=1.1, per_timeout=30.0):
    """target: host, imap_port, submission_port, password, dc_users (two
    addresses with empty INBOXes; JIT-created on chatrelay)."""
    if not os.access(RPC_BIN, os.X_OK):
        return {"na": "no Delta Chat client: run make dc-deps"}
    dc = DeltaChat()
    try:
        t_setup = time.monotonic()
        a, b = (_configure(dc, target, addr) for addr in target["dc_users"])
        for acc in (a, b):
            dc.wait_event(acc, "ImapInboxIdle", 60)
        qr = dc.call("get_chat_securejoin_qr_code", b, None)
        chat = dc.call("secure_join", a, qr)
        dc.wait_event(a, "SecurejoinJoinerProgress", 90, lambda e: e.get("progress") == 1000)
        setup_s = time.monotonic() - t_setup
        lat, missed, plain = [], 0, 0
        for i in range(count):
            time.sleep(spacing)
            text = f"bench ping {i}"
            t0 = time.monotonic()
            dc.call("misc_send_text_message", a, chat, text)
            deadline = t0 + per_timeout
            got = None
            while got is None and time.monotonic() < deadline:
                try:
                    ev = dc.wait_event(b, "IncomingMsg", deadline - time.monotonic())
                except DcError:
                    break
                msg = dc.call("get_message", b, ev["msgId"])
                if msg["text"] == text:
                    got = time.monotonic()
                    plain += 0 if msg.get("showPadlock") else 1
            if got is None:
                missed += 1
            else:
                lat.append(got - t0)
        if not lat:
            return {"error": f"no message arrived; {dc.report()}"}
        med, p99 = percentile(lat, 50), percentile(lat, 99)
        note = "" if not (missed or plain) else f" ({missed} missed, {plain} unencrypted)"
        return {"value": med, "unit": "s", "display": f"{med:.3f} / {p99:.3f} s{note}",
                "details": {"median_s": round(med, 4), "p99_s": round(p99, 4),
                            "mean_s": round(statistics.mean(lat), 4),
                            "min_s": round(min(lat), 4), "messages": count, "missed": missed,
                            "without_padlock": plain, "setup_seconds": round(setup_s, 1),
                            "latencies_ms": [round(x * 1000, 1) for x in lat],
                            "client_errors": dc.errors[-5:]}}
    except DcError as e:
        return {"error": str(e)[:400]}
    finally:
        dc.close()
