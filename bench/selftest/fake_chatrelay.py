#!/usr/bin/python3
"""bench/selftest/fake_chatrelay.py - a stand-in for the chatrelay binary
that exercises the whole bench harness (real figures, ratios, targets)
before chatrelay's SMTP and IMAP engines exist. NOT a benchmark of anything.

    bench/run.py --bin bench/selftest/fake_chatrelay.py --smtp-n 500 ...

Understands `serve -c FILE` (reads ports and data_dir from [params]) and
`account add ADDR ...` (exit 0; exit 1 with FAKE_NO_ACCOUNT=1 to test the
JIT fallback). Serves a tiny SMTP (MAIL/RCPT/DATA into
<data_dir>/mail/<domain>/<address>/new) and IMAP (LOGIN, SELECT, FETCH,
STORE, EXPUNGE, APPEND, IDLE with EXISTS pushes, NOOP, LOGOUT) on 127.0.0.1.
Must not: be used for figures, listen beyond loopback.
"""
import asyncio
import os
import re
import ssl
import subprocess
import sys
import time

WATCH = {}  # address -> set of asyncio.Queue of IDLE sessions


def conf(path):
    p = {}
    for line in open(path):
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            k, v = line.split("=", 1)
            p[k.strip()] = v.strip()
    return p


def box(root, addr):
    d = os.path.join(root, addr.split("@")[1], addr)
    for s in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    return d


def store(root, addr, data):
    d = box(root, addr)
    name = f"{time.time_ns()}.{os.getpid()}.fake"
    with open(os.path.join(d, "tmp", name), "wb") as f:
        f.write(data)
    os.rename(os.path.join(d, "tmp", name), os.path.join(d, "new", name))
    for q in WATCH.get(addr, ()):
        q.put_nowait(1)


def files(root, addr):
    d = box(root, addr)
    return sorted(os.path.join(d, s, n) for s in ("new", "cur") for n in os.listdir(
        os.path.join(d, s)))


async def smtp(r, w, root):
    w.write(b"220 fake ESMTP\r\n")
    rcpts = []
    while True:
        line = await r.readline()
        if not line:
            break
        cmd = line.decode().strip()
        u = cmd.upper()
        if u.startswith("EHLO"):
            w.write(b"250-fake\r\n250 PIPELINING\r\n")
        elif u.startswith("MAIL"):
            rcpts = []
            w.write(b"250 ok\r\n")
        elif u.startswith("RCPT"):
            rcpts.append(re.search(r"<(.*)>", cmd).group(1).lower())
            w.write(b"250 ok\r\n")
        elif u == "DATA":
            w.write(b"354 go\r\n")
            data = bytearray()
            while True:
                ln = await r.readline()
                if ln in (b".\r\n", b""):
                    break
                data += ln
            for a in rcpts:
                store(root, a, bytes(data))
            w.write(b"250 2.0.0 queued\r\n")
        elif u == "QUIT":
            w.write(b"221 bye\r\n")
            break
        else:
            w.write(b"250 ok\r\n")
        await w.drain()
    w.close()


async def imap(r, w, root):
    w.write(b"* OK fake ready\r\n")
    user, msgs, deleted = None, [], set()
    q = asyncio.Queue()
    while True:
        line = await r.readline()
        if not line:
            break
        parts = line.decode().rstrip("\r\n").split(" ", 2)
        tag, cmd = parts[0], parts[1].upper() if len(parts) > 1 else ""
        arg = parts[2] if len(parts) > 2 else ""
        if cmd == "LOGIN":
            user = arg.split(" ")[0].strip('"').lower()
            w.write(f"{tag} OK logged in\r\n".encode())
        elif cmd in ("SELECT", "NOOP"):
            msgs = files(root, user)
            w.write(f"* {len(msgs)} EXISTS\r\n{tag} OK done\r\n".encode())
        elif cmd == "FETCH":
            rng = arg.split(" ")[0]
            a, _, b = rng.partition(":")
            for i in range(int(a), int(b or a) + 1):
                if 1 <= i <= len(msgs):
                    try:
                        data = open(msgs[i - 1], "rb").read()
                    except OSError:
                        data = b""
                    w.write(f"* {i} FETCH (UID {i} BODY[] {{{len(data)}}}\r\n".encode() + data
                            + b")\r\n")
            w.write(f"{tag} OK done\r\n".encode())
        elif cmd == "STORE":
            if "Deleted" in arg:
                deleted.add(int(arg.split(" ")[0]))
            w.write(f"{tag} OK done\r\n".encode())
        elif cmd == "EXPUNGE":
            for i in sorted(deleted, reverse=True):
                if 1 <= i <= len(msgs):
                    try:
                        os.unlink(msgs.pop(i - 1))
                    except OSError:
                        pass
                    w.write(f"* {i} EXPUNGE\r\n".encode())
            deleted.clear()
            w.write(f"{tag} OK done\r\n".encode())
        elif cmd == "APPEND":
            n = int(re.search(r"\{(\d+)\}", arg).group(1))
            w.write(b"+ go\r\n")
            data = await r.readexactly(n)
            await r.readline()
            store(root, user, data)
            msgs = files(root, user)
            w.write(f"* {len(msgs)} EXISTS\r\n{tag} OK appended\r\n".encode())
        elif cmd == "IDLE":
            WATCH.setdefault(user, set()).add(q)
            w.write(b"+ idling\r\n")
            done = asyncio.create_task(r.readline())
            while True:
                get = asyncio.create_task(q.get())
                fin, _ = await asyncio.wait({done, get}, return_when=asyncio.FIRST_COMPLETED)
                if get in fin:
                    msgs = files(root, user)
                    w.write(f"* {len(msgs)} EXISTS\r\n".encode())
                    await w.drain()
                if done in fin:
                    get.cancel()
                    break
            WATCH[user].discard(q)
            w.write(f"{tag} OK idle done\r\n".encode())
        elif cmd == "LOGOUT":
            w.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
            await w.drain()
            break
        else:
            w.write(f"{tag} OK\r\n".encode())
        await w.drain()
    w.close()


async def serve(p):
    root = os.path.join(p["data_dir"], "mail")
    os.makedirs(root, exist_ok=True)
    key, cert = os.path.join(p["data_dir"], "key.pem"), os.path.join(p["data_dir"], "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=fake",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    h = "127.0.0.1"
    await asyncio.start_server(lambda r, w: smtp(r, w, root), h, int(p["smtp_port"]))
    await asyncio.start_server(lambda r, w: imap(r, w, root), h, int(p["imap_port"]))
    await asyncio.start_server(lambda r, w: imap(r, w, root), h, int(p["imaps_port"]),
                               ssl=ctx, backlog=4096)
    print("fake chatrelay ready", file=sys.stderr, flush=True)
    await asyncio.sleep(3600)  # bounded: the driver stops it with SIGTERM


def main():
    args = sys.argv[1:]
    cfg = args[args.index("-c") + 1] if "-c" in args else None
    if args[:2] == ["account", "add"]:
        if os.environ.get("FAKE_NO_ACCOUNT") == "1":
            print("chatrelay: unknown command 'account'", file=sys.stderr)
            return 1
        return 0
    if args[:1] == ["serve"] and cfg:
        asyncio.run(serve(conf(cfg)))
        return 0
    print("usage: fake_chatrelay.py serve -c FILE | account add ADDR ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
