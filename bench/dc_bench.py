"""bench/dc_bench.py - Delta Chat send-to-receive latency (issue 9).

The real client: the pinned deltachat-rpc-server of tests/deltachat (installed
by `make dc-deps`), driven over JSON-RPC on stdio by the tests' driver
(tests/deltachat/dc_rpc.py). Two accounts on one server,
configured with explicit plain IMAP + submission on loopback, a Secure-Join
(so every message after it is end-to-end encrypted, the padlock is checked),
then 20 text messages A -> B spaced 1.1 s apart (the core rate-limits itself
to about 3 messages per 3 s); latency = from the send call to B's
IncomingMsg event for that text. Median and p99 (of 20: the slowest).
Must not: talk to anything but 127.0.0.0/8 (webxdc realtime, i.e. iroh, is
switched off), leave the client running, wait unbounded.
"""
import os
import shutil
import statistics
import sys
import time

from benchlib import percentile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "deltachat"))

from dc_rpc import RPC_BIN, DeltaChat, RpcError  # noqa: E402  the tests' driver

# wait_event raises AssertionError (a test failure) on a timeout.
DcError = (RpcError, AssertionError)


def client_errors(dc):
    return [f"[{acc}] {kind}: {text}" for acc, kind, text in dc._log[-5:]]


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
                            "client_errors": client_errors(dc)}}
    except DcError as e:
        return {"error": str(e)[:400]}
    finally:
        dc.close()
        shutil.rmtree(dc.accounts_dir, ignore_errors=True)
