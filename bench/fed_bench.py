"""bench/fed_bench.py - federation throughput (issue 7): chatrelay A -> B.

Two chatrelay instances with different domains, A (a.bench.test on
127.0.0.2) and B (b.bench.test on 127.0.0.3); A reaches B through a static
route (CONF-10): over /mxdeliv (plain http:// URL of B's HTTP listener) or
over SMTP (the route has no URL; A's STARTTLS to B's generated certificate
is accepted with federation_insecure_tls = yes). The whole federation path
runs as in production: the encryption gate on both sides (OpenPGP-shaped
messages), DKIM signing on A (2048-bit RSA key) and verification on B, whose
key lookup goes to a tiny DNS responder on loopback (TTL 1 h: B caches the
key as it would with real DNS; the probe message makes the one lookup).
Accounts are created just in time by a first IMAP LOGIN before the clock
starts. The reference is Postfix relaying to itself over SMTP
(bench/reference/setup.sh: an authenticated submission listener whose mail
goes through an SMTP hop with STARTTLS to a second smtpd of the same
Postfix, then over LMTP to Dovecot).
Must not: bind or target anything but 127.0.0.0/8, run unbounded.
"""
import asyncio
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import (CpuMeter, ImapClient, NotImplementedStep, SmtpClient, count_maildir,
                      gather_all, make_encrypted_message, run_workers)
from chatrelay_bench import ChatrelayInstance

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from dns_mock import T_TXT, MockDns  # noqa: E402  the tests' DNS responder

A_IP, B_IP = "127.0.0.2", "127.0.0.3"
A_DOMAIN, B_DOMAIN = "a.bench.test", "b.bench.test"
SELECTOR = "opendkim"


def dkim_key(directory):
    """A 2048-bit RSA key readable by the unprivileged server user, and its
    DKIM TXT record."""
    path = os.path.join(directory, f"{SELECTOR}.private")
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, "2048"], check=True,
                   capture_output=True, timeout=120)
    os.chmod(path, 0o644)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=60).stdout
    return path, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class FedPair:
    """A and B for one transport ("mxdeliv" or "smtp"); start() then stop()."""

    def __init__(self, binary, transport, keep=False, senders=20, recipients=50):
        self.binary, self.transport, self.keep = binary, transport, keep
        self.senders, self.recipients = senders, recipients
        self.dir = tempfile.mkdtemp(prefix="chatrelay-bench-fed-")
        os.chmod(self.dir, 0o755)
        self.dns = None
        self.a = self.b = None

    def start(self):
        key, record = dkim_key(self.dir)
        self.dns = MockDns({f"{SELECTOR}._domainkey.{A_DOMAIN}": [(T_TXT, record)]}, ttl=3600)
        common = {"log_level": "warn", "enforce_e2ee": "yes", "push": "no",
                  "username_min_length": "1", "auth_failure_delay": "0s",
                  "min_available_memory": "0", "min_free_disk_space": "0",
                  "queue_retry_initial": "1s", "queue_retry_max": "2s"}
        self.b = ChatrelayInstance(self.binary, keep=self.keep, idle_max=1000,
                                   users=self.recipients, domain=B_DOMAIN, host=B_IP, name="B",
                                   params=dict(common, dkim_sign="no", dkim_verify="yes",
                                               dns_server=f"127.0.0.1:{self.dns.port}"))
        self.b.prepare()
        url = f"http://{B_IP}:{self.b.port('http_port')}/mxdeliv"
        route = f"{url if self.transport == 'mxdeliv' else '-'} " \
                f"{B_IP}:{self.b.port('smtp_port')}"
        self.a = ChatrelayInstance(
            self.binary, keep=self.keep, idle_max=1000, users=self.senders, domain=A_DOMAIN,
            host=A_IP, name="A", routes={B_DOMAIN: route},
            params=dict(common, dkim_sign="yes", dkim_verify="no", dkim_selector=SELECTOR,
                        dkim_key=key, federation_insecure_tls="yes",
                        max_user_send_per_minute="1000000",
                        max_user_send_burst_size="1000000"))
        self.b.start(accounts=False)
        self.a.start(accounts=False)
        # JIT accounts (AUTH-3) by a first LOGIN, before the clock starts.
        asyncio.run(_create(self.a.target(), self.senders))
        asyncio.run(_create(self.b.target(), self.recipients))
        return self

    def alive(self):
        for srv in (self.a, self.b):
            if srv is not None and srv.proc is not None and srv.proc.poll() is not None:
                return f"{srv.name} exited with {srv.proc.returncode}; log: {srv.log()[-300:]!r}"
        return None

    def stop(self):
        for srv in (self.a, self.b):
            if srv is not None:
                srv.stop()
        if self.dns:
            self.dns.close()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


async def _create(target, n):
    sem = asyncio.Semaphore(10)

    async def one(k):
        async with sem:
            c = await ImapClient.connect(target["host"], target["imap_port"])
            try:
                await c.login(f"user{k}@{target['domain']}", target["password"])
            finally:
                await c.logout()

    await gather_all(*(one(k) for k in range(1, n + 1)))


async def _submit_worker(src, dst, first_session, sessions, first, count, timeout):
    """count messages numbered first.. over `sessions` authenticated
    submission sessions; session j logs in as sender first_session + j."""
    per = [count // sessions + (1 if i < count % sessions else 0) for i in range(sessions)]
    deadline = time.monotonic() + timeout

    async def session(j, start, n):
        sender = f"user{(first_session + j) % src['senders'] + 1}@{src['domain']}"
        c = await SmtpClient.connect(src["host"], src["submission_port"])
        last = None
        try:
            await c.ehlo()
            await c.auth_plain(sender, src["password"])
            for i in range(start, start + n):
                if time.monotonic() > deadline:
                    break
                rcpt = f"user{i % dst['users'] + 1}@{dst['domain']}"
                last = await c.send(sender, rcpt, make_encrypted_message(i, sender, rcpt))
        finally:
            await c.quit()
        return last

    starts = [first + sum(per[:j]) for j in range(sessions)]
    res = await gather_all(*(session(j, s, n) for j, (s, n) in enumerate(zip(starts, per))
                             if n > 0))
    return max((t for t in res if t is not None), default=None)


def throughput(src, dst, n=2000, sessions=20, procs=2, limit=90, watch=None):
    """Submit n messages on src (dict: host, submission_port, domain, senders,
    password) to dst's accounts (dict: domain, users, mail_root); messages/s
    until the last one is a file in dst's Maildirs, or what arrived within
    `limit` seconds (shown as partial). watch(): None or the reason to stop
    early (a server died, DSNs came back)."""
    root = dst["mail_root"]
    base = count_maildir(root)
    t_probe = time.monotonic()
    try:  # probe: one message end to end (also the DKIM key lookup on B)
        asyncio.run(_submit_worker(src, dst, 0, 1, 0, 1, 30))
    except NotImplementedStep as e:
        return {"error": f"probe refused: {e.reply.splitlines()[-1]}"}
    if not _wait(lambda: count_maildir(root) >= base + 1, 60, watch):
        return {"error": "probe message never reached the Maildir" +
                         (f" ({watch()})" if watch and watch() else "")}
    probe_s = time.monotonic() - t_probe
    base += 1
    procs = max(1, min(procs, sessions))
    sess = [sessions // procs + (1 if i < sessions % procs else 0) for i in range(procs)]
    cnt = [n * s // sessions for s in sess]
    cnt[-1] += n - sum(cnt)
    args, first, first_s = [], 1, 0
    for s, c in zip(sess, cnt):
        args.append((src, dst, first_s, s, first, c, limit))
        first, first_s = first + c, first_s + s
    done = {}
    stop = threading.Event()

    def poll():
        deadline = time.monotonic() + limit
        while not stop.is_set() and time.monotonic() < deadline:
            k = count_maildir(root) - base
            done["count"] = k
            if k >= n:
                done["t"] = time.monotonic()
                return
            why = watch() if watch else None
            if why:
                done["why"] = why
                return
            time.sleep(0.1)

    meter = CpuMeter()
    t0 = time.monotonic()
    th = threading.Thread(target=poll, daemon=True)
    th.start()
    out = run_workers(_submit_worker, args, limit + 30)
    for status, res, _ in out:
        if status in ("na", "err"):
            stop.set()
            return {"error": f"submission: {res.splitlines()[-1] if res else '?'}"}
    t_accept = max((o[1] for o in out if o[1] is not None), default=time.monotonic())
    th.join(max(1.0, limit + 1 - (time.monotonic() - t0)))
    stop.set()
    load = meter.stop()
    got = n if "t" in done else done.get("count", 0)
    if got <= 0:
        return {"error": f"nothing arrived after {time.monotonic() - t0:.0f} s"
                         + (f" ({done['why']})" if "why" in done else "")}
    el = done.get("t", min(time.monotonic(), t0 + limit)) - t0
    rate = got / el
    partial = "" if got == n else f" (partial: {got} of {n} in {el:.0f} s" + \
        (f", {done['why']}" if "why" in done else "") + ")"
    return {"value": rate, "unit": "msg/s", "display": f"{rate:.0f} msg/s{partial}",
            "details": {"messages": n, "delivered": got, "sessions": sessions,
                        "generator_processes": procs, "seconds_to_last_file": round(el, 2),
                        "accept_rate_msg_s": round(n / max(t_accept - t0, 1e-6), 1),
                        "probe_seconds": round(probe_s, 2),
                        "client_cpu_s": round(sum(o[2] for o in out), 2), **load}}


def _wait(cond, timeout, watch=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        if watch and watch():
            return False
        time.sleep(0.05)
    return False


def chatrelay_federation(binary, transport, n=2000, sessions=20, procs=2, limit=90,
                         keep=False):
    """One row: a fresh pair for the transport, the run, the pair stopped."""
    pair = FedPair(binary, transport, keep=keep)
    try:
        pair.start()
        a, b = pair.a.target(), pair.b.target()
        src = dict(a, senders=pair.senders)
        dst = dict(domain=B_DOMAIN, users=pair.recipients, mail_root=b["mail_root"])

        def watch():  # a server died, or A bounced something (DSN in A's Maildirs)
            why = pair.alive()
            if why:
                return why
            k = count_maildir(a["mail_root"])
            return f"{k} DSN(s) on A: see --keep logs" if k else None

        res = throughput(src, dst, n=n, sessions=sessions, procs=procs, limit=limit,
                         watch=watch)
        res.setdefault("details", {}).update(
            transport=transport, dkim_lookups=pair.dns.queries if pair.dns else None,
            a_log_tail=pair.a.log()[-400:], b_log_tail=pair.b.log()[-400:])
        return res
    finally:
        pair.stop()


def reference_relay(ref_env, n=2000, sessions=20, procs=2, limit=90):
    """The reference's relay to itself over SMTP (see the module comment)."""
    port = ref_env.get("REF_RELAY_SUBMISSION_PORT")
    if not port:
        return {"na": "reference set-up without the relay listener"}
    src = dict(host="127.0.0.1", submission_port=int(port), domain=ref_env["REF_DOMAIN"],
               senders=20, password=ref_env["REF_PASSWORD"])
    dst = dict(domain=ref_env["REF_DOMAIN"], users=int(ref_env["REF_USERS"]),
               mail_root=ref_env["REF_MAIL_ROOT"])
    return throughput(src, dst, n=n, sessions=sessions, procs=procs, limit=limit)
