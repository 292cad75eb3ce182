#!/usr/bin/python3
"""bench/run.py - `make bench`: chatrelay side by side with Postfix + Dovecot.

Starts the private reference (bench/reference/setup.sh) and a chatrelay
instance with a bench config (temp data dir, loopback ports, enforce_e2ee =
no, dkim_verify = no), runs every workload of bench/workloads.py against
both, then the federation rows (bench/fed_bench.py: a pair of chatrelay
instances, A -> B) and the Delta Chat row (bench/dc_bench.py: the real
client, its own chatrelay instance), prints one table and writes it as JSON
(bench/results.json).
A step chatrelay does not implement yet prints "n/a (not implemented:
<reply>)" instead of a figure. Knobs: see --help and bench/README.md.
Must not: target anything but 127.0.0.0/8, leave servers running.
"""
import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
import dc_bench  # noqa: E402
import fed_bench  # noqa: E402
import workloads  # noqa: E402
from chatrelay_bench import ChatrelayInstance  # noqa: E402

ROWS = ("smtp_ingest", "idle_push", "idle_sessions", "login_rate", "imap_mixed", "fed_mxdeliv",
        "fed_smtp", "deltachat")
DC_USERS = ("dcbench1", "dcbench2")  # fresh accounts (the reference's setup.sh adds them)


def env_int(name, default):
    return int(os.environ.get(name, default))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=os.path.join(HERE, "..", "build", "release", "chatrelay"))
    p.add_argument("--smtp-n", type=int, default=env_int("BENCH_SMTP_N", 20000),
                   help="messages in the SMTP ingest (BENCH_SMTP_N, 20000)")
    p.add_argument("--push-n", type=int, default=env_int("BENCH_PUSH_N", 200),
                   help="deliveries in the IDLE push test (BENCH_PUSH_N, 200)")
    p.add_argument("--idle-n", default=os.environ.get("BENCH_IDLE_N", "10000"),
                   help="chatrelay idle sessions, comma list e.g. 10000,50000 (BENCH_IDLE_N)")
    p.add_argument("--ref-idle-n", type=int, default=env_int("BENCH_REF_IDLE_N", 1000),
                   help="reference idle sessions: Dovecot forks 2 processes per session "
                        "(BENCH_REF_IDLE_N, 1000)")
    p.add_argument("--login-seconds", type=float, default=env_int("BENCH_LOGIN_SECONDS", 10))
    p.add_argument("--mixed-seconds", type=float, default=env_int("BENCH_MIXED_SECONDS", 15))
    p.add_argument("--fed-n", type=int, default=env_int("BENCH_FED_N", 2000),
                   help="messages A -> B in each federation row (BENCH_FED_N, 2000)")
    p.add_argument("--fed-seconds", type=float, default=env_int("BENCH_FED_SECONDS", 90),
                   help="time limit of each federation run; what arrived by then gives a "
                        "partial figure (BENCH_FED_SECONDS, 90)")
    p.add_argument("--dc-n", type=int, default=env_int("BENCH_DC_N", 20),
                   help="Delta Chat messages A -> B (BENCH_DC_N, 20)")
    p.add_argument("--procs", type=int, default=env_int("BENCH_PROCS", 2),
                   help="generator processes for the throughput workloads (BENCH_PROCS, 2)")
    p.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                   help="comma list of workloads to run (BENCH_ONLY): " + ",".join(ROWS))
    p.add_argument("--no-reference", action="store_true",
                   default=os.environ.get("BENCH_NO_REFERENCE") == "1")
    p.add_argument("--keep", action="store_true", help="keep temp dirs and logs")
    p.add_argument("--json", default=os.path.join(HERE, "results.json"))
    return p.parse_args()


def start_reference():
    out = subprocess.run([os.path.join(HERE, "reference", "setup.sh")], check=True,
                         stdout=subprocess.PIPE, text=True, timeout=600).stdout.strip()
    d = out.splitlines()[-1]
    env = {}
    with open(os.path.join(d, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip("'")
    master = int(env["REF_DOVECOT_PID"])
    target = dict(name="reference", host="127.0.0.1", smtp_port=int(env["REF_SMTP_PORT"]),
                  imap_port=int(env["REF_IMAP_PORT"]), imaps_port=int(env["REF_IMAPS_PORT"]),
                  domain=env["REF_DOMAIN"], users=int(env["REF_USERS"]),
                  password=env["REF_PASSWORD"], mail_root=env["REF_MAIL_ROOT"],
                  submission_port=int(env.get("REF_SUBMISSION_PORT", 0)),
                  pids=lambda: benchlib.descendants(master))
    return d, env, target


def run_one(name, fn, target, **kw):
    t0 = time.monotonic()
    print(f"  {name:14} {target['name']:10} ...", end="", flush=True, file=sys.stderr)
    try:
        res = fn(target, **kw)
    except benchlib.NotImplementedStep as e:
        res = workloads.na(e)
    except Exception as e:  # a broken run is reported in the table, not hidden
        res = {"error": f"{type(e).__name__}: {e}"}
    res["seconds"] = round(time.monotonic() - t0, 1)
    print(f" {cell(res)} ({res['seconds']} s)", file=sys.stderr)
    return res


def cell(res):
    if res is None:
        return "-"
    if "na" in res:
        return f"n/a ({res['na']})"
    if "error" in res:  # the first line (results.json has all of it)
        first = res["error"].strip().splitlines()[0] if res["error"].strip() else "?"
        return f"error: {first[:160]}"
    return res["display"]


def ratio(row, higher_is_better):
    c, r = row.get("chatrelay"), row.get("reference")
    if not c or not r or "value" not in c or "value" not in r or not c["value"] or not r["value"]:
        return None
    return c["value"] / r["value"] if higher_is_better else r["value"] / c["value"]


def judge(key, row):
    """Whether the target of issue 9 is met (None when not measurable)."""
    c = row.get("chatrelay") or {}
    if "value" not in c:
        return None
    x = row.get("ratio")
    need = {"smtp_ingest": 3, "login_rate": 2, "imap_mixed": 1.5}
    if key in need:
        return None if x is None else x >= need[key]
    if key == "idle_push":
        return c["details"]["median_ms"] < 5 and c["details"]["p99_ms"] < 50
    if key == "idle_sessions":
        return c["value"] <= 16 and c["details"]["sessions_open"] >= 100000
    if key == "deltachat":
        return c["value"] <= 0.15 and not c["details"]["missed"]
    return None


def main():
    a = parse_args()
    only = set(filter(None, a.only.split(","))) or set(ROWS)
    benchlib.raise_nofile(1 << 20)
    idle_ns = [int(x) for x in a.idle_n.split(",") if x.strip()]
    t_start = time.monotonic()
    ref_dir = ref_env = ref = ref_error = None
    cr = ChatrelayInstance(a.bin, keep=a.keep, idle_max=max(idle_ns + [1000]))
    rows = []
    try:
        if not a.no_reference and only - {"fed_mxdeliv"}:  # that row has no reference
            print("starting reference Postfix + Dovecot ...", file=sys.stderr)
            try:
                ref_dir, ref_env, ref = start_reference()
            except (OSError, subprocess.SubprocessError, ValueError) as e:
                ref_error = f"reference set-up failed: {e}"
                print(ref_error, file=sys.stderr)
        crt = None
        if only & set(workloads.WORKLOADS):  # the other rows start servers of their own
            print("starting chatrelay ...", file=sys.stderr)
            cr.start(password_hash=(ref_env or {}).get("REF_PASSWORD_HASH"))
            crt = cr.target()
            if cr.accounts_jit:  # create the accounts by a first LOGIN before any delivery
                try:
                    asyncio.run(workloads._warm_logins(crt, 20))
                    cr.accounts_note += "; created by a first LOGIN"
                except benchlib.NotImplementedStep as e:
                    cr.accounts_note += f"; LOGIN failed too ({e.reply})"
            print(f"chatrelay accounts: {cr.accounts_note}", file=sys.stderr)
        targets = [crt] + ([ref] if ref else [])

        def both(key, label, target_text, higher, fn, kw_c, kw_r=None, sides=None):
            if key not in only:
                return
            row = {"key": key, "workload": label, "target": target_text}
            for t in sides or targets:
                kw = kw_c if t is crt else (kw_r if kw_r is not None else kw_c)
                if t is crt and cr.proc.poll() is not None:
                    row["chatrelay"] = {"error": f"chatrelay had exited ({cr.proc.returncode})"}
                    continue
                row[t["name"]] = run_one(key, fn, t, **kw)
                if t is crt and cr.proc.poll() is not None:
                    res = row["chatrelay"]
                    res["error"] = (f"chatrelay exited with {cr.proc.returncode} during the "
                                    f"run; log tail: {cr.log()[-300:]!r}")
                    res.pop("value", None)
            if ref_error and not sides:
                row["reference"] = {"error": ref_error}
            row["ratio"] = ratio(row, higher)
            row["met"] = judge(key, row)
            rows.append(row)

        both("smtp_ingest", f"SMTP ingest, {a.smtp_n} x 3 KB, 20 sessions -> Maildir",
             ">= 3x reference", True, workloads.smtp_ingest,
             dict(n=a.smtp_n, sessions=20, procs=a.procs))
        both("idle_push", f"IDLE push, 250 -> EXISTS, median / p99 of {a.push_n}",
             "median < 5 ms, p99 < 50 ms", False, workloads.idle_push, dict(count=a.push_n))
        for i, n in enumerate(idle_ns):  # the reference holds what it can, once
            both("idle_sessions", f"Idle TLS IMAP sessions, RSS/session (chatrelay N={n})",
                 "<= 16 KiB/session at 100k", False, workloads.idle_sessions,
                 dict(n=n), dict(n=a.ref_idle_n), sides=None if i == 0 else [crt])
        both("login_rate", "Login rate, LOGIN + LOGOUT, 20 connections, warm cache",
             ">= 2x reference", True, workloads.login_rate,
             dict(conns=20, procs=a.procs, duration=a.login_seconds))
        both("imap_mixed", "Mixed IMAP load, 20 connections", ">= 1.5x reference", True,
             workloads.imap_mixed, dict(conns=20, procs=a.procs, duration=a.mixed_seconds))

        def sided(key, label, target_text, higher, cr_fn, ref_fn):
            """A row whose two sides run their own set-ups: cr_fn() and
            ref_fn(ref_env) return results; ref_fn None prints "-"."""
            if key not in only:
                return
            row = {"key": key, "workload": label, "target": target_text,
                   "chatrelay": run_one(key, lambda _t: cr_fn(), {"name": "chatrelay"}),
                   "reference": None}
            if ref_fn is not None and not a.no_reference:
                row["reference"] = ({"error": ref_error or "reference not started"}
                                    if ref_env is None else
                                    run_one(key, lambda _t: ref_fn(ref_env),
                                            {"name": "reference"}))
            row["ratio"] = ratio(row, higher)
            row["met"] = judge(key, row)
            rows.append(row)

        fed = dict(n=a.fed_n, sessions=20, procs=a.procs, limit=a.fed_seconds)
        sided("fed_mxdeliv", f"Federation A -> B over /mxdeliv, {a.fed_n} msgs, 20 sessions",
              "none (issue 7: printed)", True,
              lambda: fed_bench.chatrelay_federation(a.bin, "mxdeliv", keep=a.keep, **fed),
              None)
        sided("fed_smtp", f"Federation A -> B over SMTP, {a.fed_n} msgs, 20 sessions",
              "none (issue 7: printed)", True,
              lambda: fed_bench.chatrelay_federation(a.bin, "smtp", keep=a.keep, **fed),
              lambda env: fed_bench.reference_relay(env, **fed))
        sided("deltachat", f"Delta Chat, {a.dc_n} encrypted msgs A -> B, median / p99",
              "median <= 0.15 s", False, lambda: deltachat_chatrelay(a),
              lambda env: dc_bench.latency(
                  dict(ref, dc_users=[f"{u}@{env['REF_DOMAIN']}" for u in DC_USERS]),
                  count=a.dc_n))
    finally:
        cr.stop()
        if ref_dir:
            subprocess.run([os.path.join(HERE, "reference", "stop.sh"), ref_dir] +
                           (["--keep"] if a.keep else []), timeout=120)
    total = time.monotonic() - t_start
    print_table(rows)
    notes = saturation_notes(rows)
    for n in notes:
        print(n)
    print(f"total {total:.0f} s; machine load average at end "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                          "loadavg_end": os.getloadavg()},
              "chatrelay_bin": os.path.abspath(a.bin),
              "chatrelay_accounts": cr.accounts_note,
              "knobs": {k: v for k, v in vars(a).items() if k not in ("json",)},
              "seconds": round(total, 1), "rows": rows, "notes": notes}
    with open(a.json, "w") as f:
        json.dump(result, f, indent=1, default=str)
    print(f"written {os.path.relpath(a.json)}")
    return 0


def deltachat_chatrelay(a):
    """Its own chatrelay: production-like (gate on), fresh JIT accounts."""
    inst = ChatrelayInstance(a.bin, keep=a.keep, idle_max=1000, name="chatrelay-dc",
                             params={"enforce_e2ee": "yes", "auth_failure_delay": "0s"})
    try:
        inst.start(accounts=False)
        t = dict(inst.target(), dc_users=[f"{u}@{inst.domain}" for u in DC_USERS])
        return dc_bench.latency(t, count=a.dc_n)
    finally:
        inst.stop()


def print_table(rows):
    head = ("workload", "chatrelay", "reference", "ratio", "target")
    lines = []
    for r in rows:
        x = r.get("ratio")
        lines.append((r["workload"], cell(r.get("chatrelay")), cell(r.get("reference")),
                      f"{x:.2f}x" if x else "-",
                      r["target"] + ("" if r.get("met") is None else
                                     (" (met)" if r["met"] else " (NOT met)"))))
    w = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
         for i, h in enumerate(head)]
    fmt = " | ".join("{:%d}" % n for n in w)
    print()
    print(fmt.format(*head))
    print("-+-".join("-" * n for n in w))
    for line in lines:
        print(fmt.format(*line))
    print()
    print("ratio: > 1 means chatrelay is better (throughput c/r; latency and memory r/c)")


def saturation_notes(rows):
    """Which side limited each throughput figure: the generator processes
    (each near one full core), the CPUs as a whole, or neither."""
    ncpu = os.cpu_count() or 1
    out = []
    for r in rows:
        for side in ("chatrelay", "reference"):
            d = (r.get(side) or {}).get("details") or {}
            if "client_cpu" not in d:
                continue
            per_proc = d["client_cpu"] * ncpu / max(1, d.get("generator_processes", 1))
            if per_proc > 0.85:
                who = "generator (raise BENCH_PROCS or move this generator to C)"
            elif d["machine_busy"] > 0.9:
                who = "server side (and any other load on the machine)"
            else:
                who = "neither (latency bound)"
            out.append(f"{r['key']}/{side}: machine busy {d['machine_busy']:.0%}, generator "
                       f"{d['client_cpu']:.0%} of all CPUs ({per_proc:.0%} of a core per "
                       f"generator process) -> limited by: {who}")
    return out


if __name__ == "__main__":
    sys.exit(main())
