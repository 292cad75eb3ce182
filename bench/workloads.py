"""bench/workloads.py - the benchmark workloads of issue 9.

Each workload takes a target (dict: name, host, smtp_port, imap_port,
imaps_port, domain, users, password, mail_root, pids()) and knobs, and
returns a dict: {"value": float, "unit": str, "display": str, "details":
{...}} or {"na": "<reason>"} when the server does not support a step yet
(NotImplementedStep). Every loop is bounded in count and in time.
Must not: target anything but 127.0.0.0/8, run unbounded.
"""
import asyncio
import math
import random
import threading
import time

from benchlib import (CpuMeter, gather_all, ImapClient, NotImplementedStep, SmtpClient, client_tls_context,
                      count_maildir, make_message, memory_kib, percentile, raise_nofile,
                      run_workers)

SENDER = "sender@bench.test"


def user(target, k):
    """Account k (0-based, wraps over the target's accounts)."""
    return f"user{k % target['users'] + 1}@{target['domain']}"


def na(e):
    return {"na": f"not implemented: {e.reply.splitlines()[-1] if e.reply else '?'}"}


# ---------------------------------------------------------------- SMTP ingest

async def _ingest_worker(target, first, count, sessions, timeout):
    """count messages numbered first.. over `sessions` SMTP sessions."""
    per = [count // sessions + (1 if i < count % sessions else 0) for i in range(sessions)]
    starts = [first + sum(per[:i]) for i in range(sessions)]
    deadline = time.monotonic() + timeout

    async def session(start, n):
        c = await SmtpClient.connect(target["host"], target["smtp_port"])
        await c.ehlo()
        last = None
        try:
            for i in range(start, start + n):
                if time.monotonic() > deadline:
                    break
                rcpt = user(target, i)
                last = await c.send(SENDER, rcpt, make_message(i, rcpt))
        finally:
            await c.quit()
        return last

    res = await gather_all(*(session(s, n) for s, n in zip(starts, per) if n > 0))
    return max((t for t in res if t is not None), default=None)


def smtp_ingest(target, n=20000, sessions=20, procs=2, timeout=300):
    root = target["mail_root"]
    base = count_maildir(root)
    # Probe: one message end to end (also tells n/a before any load).
    try:
        asyncio.run(_ingest_worker(target, 0, 1, 1, 30))
    except NotImplementedStep as e:
        return na(e)
    if not _wait_count(root, base + 1, 30):
        return {"na": "probe message never reached the Maildir"}
    base += 1
    procs = max(1, min(procs, sessions))
    sess = [sessions // procs + (1 if i < sessions % procs else 0) for i in range(procs)]
    cnt = [n * s // sessions for s in sess]
    cnt[-1] += n - sum(cnt)
    args, first = [], 1
    for s, c in zip(sess, cnt):
        args.append((target, first, c, s, timeout))
        first += c
    done = {}
    stop = threading.Event()

    def poll():  # records when the last message is a file in a Maildir
        while not stop.is_set():
            k = count_maildir(root)
            done["count"] = k - base
            if k >= base + n:
                done["t"] = time.monotonic()
                return
            time.sleep(0.1)

    meter = CpuMeter()
    t0 = time.monotonic()
    th = threading.Thread(target=poll, daemon=True)
    th.start()
    out = run_workers(_ingest_worker, args, timeout + 30)
    cpu = sum(o[2] for o in out)
    for status, res, _ in out:
        if status == "na":
            stop.set()
            return {"na": f"not implemented: {res.splitlines()[-1]}"}
        if status == "err":
            stop.set()
            return {"error": res}
    t_accept = max((o[1] for o in out if o[1] is not None), default=time.monotonic())
    th.join(max(1.0, timeout - (time.monotonic() - t0)))
    stop.set()
    load = meter.stop()  # client CPU counted in the workers (forked, reaped)
    got = n if "t" in done else done.get("count", 0)
    if got <= 0:
        return {"error": f"no message in the Maildirs after {time.monotonic() - t0:.0f} s"}
    el = done.get("t", time.monotonic()) - t0
    rate = got / el
    partial = "" if got == n else f" (partial: {got} of {n} in {el:.0f} s)"
    return {"value": rate, "unit": "msg/s", "display": f"{rate:.0f} msg/s{partial}",
            "details": {"messages": n, "delivered": got, "sessions": sessions,
                        "generator_processes": procs,
                        "seconds_to_last_file": round(el, 2),
                        "accept_rate_msg_s": round(n / max(t_accept - t0, 1e-6), 1),
                        "client_cpu_s": round(cpu, 2), **load}}


def _wait_count(root, want, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count_maildir(root) >= want:
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------ IDLE push

async def _idle_push(target, count, per_timeout):
    acct = user(target, 0)
    im = await ImapClient.connect(target["host"], target["imap_port"])
    await im.login(acct, target["password"])
    await im.select()
    await im.idle_start()
    sm = await SmtpClient.connect(target["host"], target["smtp_port"])
    await sm.ehlo()
    q = asyncio.Queue()

    async def reader():
        while True:
            s = await im.line(timeout=3600)
            if s.startswith("* ") and s.endswith(" EXISTS"):
                q.put_nowait((int(s.split()[1]), time.monotonic()))

    rt = asyncio.create_task(reader())
    lat, missed = [], 0
    seen = im.exists or 0
    try:
        for i in range(count):
            t250 = await sm.send(SENDER, acct, make_message(i, acct))
            want = seen + 1
            deadline = time.monotonic() + per_timeout
            got = None
            while time.monotonic() < deadline:
                try:
                    nexists, t = await asyncio.wait_for(q.get(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
                seen = max(seen, nexists)
                if nexists >= want:
                    got = t
                    break
            if got is None:
                missed += 1
            else:
                lat.append(max(0.0, got - t250))
            if rt.done() and rt.exception():
                raise rt.exception()
    finally:
        rt.cancel()
        await sm.quit()
        im.close()
    return lat, missed


def idle_push(target, count=200, per_timeout=5.0):
    try:
        lat, missed = asyncio.run(_idle_push(target, count, per_timeout))
    except NotImplementedStep as e:
        return na(e)
    if not lat:
        return {"error": f"no EXISTS within {per_timeout} s for any of {count} deliveries"}
    med, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
    return {"value": med, "unit": "ms", "display": f"{med:.1f} / {p99:.1f} ms",
            "details": {"median_ms": round(med, 2), "p99_ms": round(p99, 2),
                        "deliveries": count, "missed": missed}}


# ------------------------------------------------------------- idle sessions

async def _one_idle_session(target, k, source, tls):
    c = await ImapClient.connect(target["host"], target["imaps_port"], tls=tls, source=source,
                                 timeout=60)
    try:
        await c.login(user(target, k), target["password"])
        await c.select()
        await c.idle_start()
    except BaseException:
        c.close()
        raise
    return c


def _idle_worker(target, first, count, source, conn, timeout, inflight):
    """Forked: open `count` IDLE sessions, report, hold them until told."""
    raise_nofile(count + 256)

    async def main():
        tls = client_tls_context()
        sem = asyncio.Semaphore(inflight)
        held, errors = [], []
        deadline = time.monotonic() + timeout

        async def one(k):
            async with sem:
                if time.monotonic() > deadline:
                    return
                try:
                    held.append(await _one_idle_session(target, k, source, tls))
                except NotImplementedStep as e:
                    errors.append(e.reply)
                except Exception as e:  # counted; the first is reported
                    errors.append(f"{type(e).__name__}: {e}")

        await asyncio.gather(*(one(first + i) for i in range(count)))
        conn.send(("ready", len(held), errors[:1], len(errors)))
        # Hold until the parent has read the server's memory (bounded).
        end = time.monotonic() + 600
        while time.monotonic() < end and not conn.poll():
            await asyncio.sleep(0.2)
        for c in held:
            c.close()
        await asyncio.sleep(0.5)

    try:
        asyncio.run(main())
    finally:
        conn.close()


def idle_sessions(target, n=10000, per_proc=5000, inflight=100, timeout=300, settle=3.0):
    import multiprocessing as mp
    tls = client_tls_context()
    try:  # probe with one session
        c = asyncio.run(_probe_idle(target, tls))
    except NotImplementedStep as e:
        return na(e)
    del c
    pids = target["pids"]()
    mem0 = memory_kib(pids)
    ctx = mp.get_context("fork")
    nproc = max(1, math.ceil(n / per_proc))
    procs, counts, first = [], [], 0
    meter = CpuMeter()
    t0 = time.monotonic()
    for i in range(nproc):
        cnt = n // nproc + (1 if i < n % nproc else 0)
        a, b = ctx.Pipe()
        p = ctx.Process(target=_idle_worker, daemon=True,
                        args=(target, first, cnt, f"127.0.0.{2 + i}", b, timeout, inflight))
        p.start()
        procs.append((p, a))
        first += cnt
    ok, errs, nerr = 0, [], 0
    for p, a in procs:
        if a.poll(timeout + 30):
            _, k, e, ne = a.recv()
            ok, nerr = ok + k, nerr + ne
            errs += e
    t_open = time.monotonic() - t0
    time.sleep(settle)
    pids = target["pids"]()
    mem1 = memory_kib(pids)
    for p, a in procs:
        try:
            a.send("release")
        except OSError:
            pass
    for p, a in procs:
        p.join(30)
        if p.is_alive():
            p.kill()
            p.join()
    load = meter.stop()  # after the join: the workers' CPU is counted once reaped
    if ok == 0:
        if errs and errs[0].startswith(("b", "*")):
            return {"na": f"not implemented: {errs[0]}"}
        return {"error": f"no session established: {errs[:1]}"}
    rss = (mem1[0] - mem0[0]) / ok
    pss = (mem1[1] - mem0[1]) / ok
    return {"value": rss, "unit": "KiB/session",
            "display": f"{rss:.1f} KiB/session @{ok}" +
                       (f" (PSS {pss:.0f})" if len(pids) > 1 else ""),
            "details": {"sessions_wanted": n, "sessions_open": ok, "failed": nerr,
                        "first_error": errs[0] if errs else None,
                        "rss_kib_before": mem0[0], "rss_kib_after": mem1[0],
                        "pss_kib_before": mem0[1], "pss_kib_after": mem1[1],
                        "pss_kib_per_session": round(pss, 2), "server_processes": len(pids),
                        "generator_processes": nproc, "seconds_to_open": round(t_open, 1),
                        **load}}


async def _probe_idle(target, tls):
    c = await _one_idle_session(target, 0, None, tls)
    await c.idle_done()
    await c.logout()


# ---------------------------------------------------------------- login rate

async def _login_loop(target, conns, first, duration, max_logins):
    end = time.monotonic() + duration
    n = [0]

    async def loop(k):
        while time.monotonic() < end and n[0] < max_logins:
            c = await ImapClient.connect(target["host"], target["imap_port"])
            try:
                await c.login(user(target, k), target["password"])
                await c.logout()
            finally:
                c.close()
            n[0] += 1
            k += conns

    await gather_all(*(loop(first + i) for i in range(conns)))
    return n[0]


async def _warm_logins(target, conns):
    """Log every account in once so credential caches are warm."""
    sem = asyncio.Semaphore(conns)

    async def one(k):
        async with sem:
            c = await ImapClient.connect(target["host"], target["imap_port"])
            try:
                await c.login(user(target, k), target["password"])
            finally:
                await c.logout()

    await gather_all(*(one(k) for k in range(target["users"])))


def login_rate(target, conns=20, procs=2, duration=10.0, max_logins=200000):
    try:
        asyncio.run(_warm_logins(target, conns))
    except NotImplementedStep as e:
        return na(e)
    procs = max(1, min(procs, conns))
    per = [conns // procs + (1 if i < conns % procs else 0) for i in range(procs)]
    args = [(target, c, sum(per[:i]), duration, max_logins // procs) for i, c in enumerate(per)]
    meter = CpuMeter()
    t0 = time.monotonic()
    out = run_workers(_login_loop, args, duration + 60)
    el = time.monotonic() - t0
    load = meter.stop()
    for status, res, _ in out:
        if status == "na":
            return {"na": f"not implemented: {res}"}
        if status == "err":
            return {"error": res}
    total = sum(o[1] for o in out)
    rate = total / el
    return {"value": rate, "unit": "logins/s", "display": f"{rate:.0f} logins/s",
            "details": {"logins": total, "seconds": round(el, 2), "connections": conns,
                        "generator_processes": procs, **load}}


# ----------------------------------------------------------------- mixed IMAP

# operation -> weight (percent); IDLE enters and leaves at once.
MIX = {"fetch_headers": 25, "fetch_body": 20, "store_flags": 15, "append": 15,
       "expunge": 10, "idle": 5, "noop": 5, "relogin": 5}
HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID CONTENT-TYPE)]"


async def _mixed_conn(target, k, end, seed, max_ops):
    rnd = random.Random(seed)
    acct = user(target, k)
    ops = dict.fromkeys(MIX, 0)

    async def login():
        c = await ImapClient.connect(target["host"], target["imap_port"])
        await c.login(acct, target["password"])
        await c.select()
        return c

    c = await login()
    for i in range(max(0, 20 - (c.exists or 0))):  # seed, not timed
        await c.append(make_message(i, acct))
    names, weights = list(MIX), list(MIX.values())
    total = 0
    while time.monotonic() < end and total < max_ops:
        op = rnd.choices(names, weights)[0]
        n = c.exists or 0
        if n == 0 and op in ("fetch_headers", "fetch_body", "store_flags", "expunge"):
            op = "append"
        if n > 200 and op == "append":
            op = "expunge"
        if op == "fetch_headers":
            await c.cmd(f"FETCH {max(1, n - 9)}:{n} (UID FLAGS RFC822.SIZE {HEADER_FIELDS})")
        elif op == "fetch_body":
            await c.cmd(f"FETCH {rnd.randint(1, n)} (UID BODY.PEEK[])")
        elif op == "store_flags":
            await c.cmd(f"STORE {rnd.randint(1, n)} +FLAGS (\\Seen)")
        elif op == "append":
            await c.append(make_message(rnd.randint(0, 1 << 30), acct))
        elif op == "expunge":
            await c.cmd(f"STORE {rnd.randint(1, n)} +FLAGS.SILENT (\\Deleted)")
            await c.cmd("EXPUNGE")
        elif op == "idle":
            await c.idle_start()
            await c.idle_done()
        elif op == "noop":
            await c.cmd("NOOP")
        elif op == "relogin":
            await c.logout()
            c = await login()
        ops[op] += 1
        total += 1
    await c.logout()
    return ops


async def _mixed_worker(target, conns, first, duration, max_ops):
    end = time.monotonic() + duration
    res = await gather_all(*(_mixed_conn(target, first + i, end, first + i, max_ops)
                                 for i in range(conns)))
    ops = dict.fromkeys(MIX, 0)
    for r in res:
        for k, v in r.items():
            ops[k] += v
    return ops


def imap_mixed(target, conns=20, procs=2, duration=15.0, max_ops=1000000):
    try:  # probe every command of the mix once, on one connection
        asyncio.run(_mixed_worker(target, 1, 0, 0.0, 0))
        asyncio.run(_probe_mix(target))
    except NotImplementedStep as e:
        return na(e)
    procs = max(1, min(procs, conns))
    per = [conns // procs + (1 if i < conns % procs else 0) for i in range(procs)]
    args = [(target, c, sum(per[:i]), duration, max_ops) for i, c in enumerate(per)]
    meter = CpuMeter()
    t0 = time.monotonic()
    out = run_workers(_mixed_worker, args, duration + 120)
    el = time.monotonic() - t0
    load = meter.stop()
    ops = dict.fromkeys(MIX, 0)
    for status, res, _ in out:
        if status == "na":
            return {"na": f"not implemented: {res}"}
        if status == "err":
            return {"error": res}
        for k, v in res.items():
            ops[k] += v
    total = sum(ops.values())
    rate = total / el
    return {"value": rate, "unit": "ops/s", "display": f"{rate:.0f} ops/s",
            "details": {"operations": ops, "seconds": round(el, 2), "connections": conns,
                        "generator_processes": procs, **load}}


async def _probe_mix(target):
    acct = user(target, 0)
    c = await ImapClient.connect(target["host"], target["imap_port"])
    await c.login(acct, target["password"])
    await c.select()
    await c.append(make_message(0, acct))
    n = c.exists or 1
    await c.cmd(f"FETCH {n} (UID FLAGS RFC822.SIZE {HEADER_FIELDS})")
    await c.cmd(f"FETCH {n} (UID BODY.PEEK[])")
    await c.cmd(f"STORE {n} +FLAGS.SILENT (\\Deleted)")
    await c.cmd("EXPUNGE")
    await c.idle_start()
    await c.idle_done()
    await c.logout()


WORKLOADS = {
    "smtp_ingest": smtp_ingest,
    "idle_push": idle_push,
    "idle_sessions": idle_sessions,
    "login_rate": login_rate,
    "imap_mixed": imap_mixed,
}
