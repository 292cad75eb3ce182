"""bench/benchlib.py - shared pieces of the load generators (issue 9).

Minimal asyncio SMTP and IMAP clients (Python standard library only), the
"step not implemented" signal, Maildir counting, process memory and CPU
readings, and a helper that runs a coroutine in several worker processes.
Targets are loopback addresses only; every wait here has a timeout.
Must not: talk to anything outside 127.0.0.0/8, loop without a bound.
"""
import asyncio
import base64
import os
import resource
import socket
import ssl
import time

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the port at connect time


class NotImplementedStep(Exception):
    """The server refused a protocol step the workload needs (it is not
    there yet): the reply text is what the table prints."""

    def __init__(self, reply):
        super().__init__(reply)
        self.reply = reply.strip()


def assert_loopback(host):
    if not host.startswith("127."):
        raise ValueError(f"benchmarks only target 127.0.0.0/8, not {host}")


def raise_nofile(want):
    """Raise RLIMIT_NOFILE to want (root may raise the hard limit up to
    fs.nr_open); returns the soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for new_hard in (max(want, hard), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, new_hard), new_hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_conn(host, port, tls=None, source=None, timeout=30):
    """Connect (optionally from a loopback source address, optionally TLS)."""
    assert_loopback(host)
    sock = None
    if source is not None:
        assert_loopback(source)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)),
                               timeout)
        return await asyncio.wait_for(
            asyncio.open_connection(sock=sock, ssl=tls, server_hostname="" if tls else None,
                                    limit=1 << 20), timeout)
    return await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=tls, server_hostname="" if tls else None,
                                limit=1 << 20), timeout)


class SmtpClient:
    """SMTP client for the ingest and push workloads (PIPELINING used when
    advertised: MAIL, RCPT and DATA go in one write)."""

    def __init__(self, reader, writer, timeout=30):
        self.r, self.w, self.timeout = reader, writer, timeout
        self.pipelining = False

    @classmethod
    async def connect(cls, host, port, timeout=30):
        r, w = await open_conn(host, port, timeout=timeout)
        c = cls(r, w, timeout)
        code, text = await c.reply()
        if code != 220:
            raise NotImplementedStep(text)
        return c

    async def reply(self):
        lines = []
        while True:
            line = await asyncio.wait_for(self.r.readline(), self.timeout)
            if not line:
                raise ConnectionError("SMTP connection closed: " + " | ".join(lines))
            s = line.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(s)
            if len(s) < 4 or s[3] != "-":
                try:
                    return int(s[:3]), "\n".join(lines)
                except ValueError:
                    return 0, "\n".join(lines)

    async def ehlo(self, name="bench.test"):
        self.w.write(f"EHLO {name}\r\n".encode())
        code, text = await self.reply()
        if code != 250:
            raise NotImplementedStep(text)
        self.pipelining = "PIPELINING" in text.upper()

    async def auth_plain(self, user, password):
        """AUTH PLAIN with an initial response (submission)."""
        blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.w.write(f"AUTH PLAIN {blob}\r\n".encode())
        code, text = await self.reply()
        if code != 235:
            raise NotImplementedStep(text)

    async def send(self, sender, rcpt, data):
        """One transaction; data is the message with CRLF lines, already
        dot-stuffed. Returns the time the final 250 arrived."""
        cmds = [f"MAIL FROM:<{sender}>\r\n", f"RCPT TO:<{rcpt}>\r\n", "DATA\r\n"]
        if self.pipelining:
            self.w.write("".join(cmds).encode())
            replies = [await self.reply() for _ in cmds]
        else:
            replies = []
            for c in cmds:
                self.w.write(c.encode())
                replies.append(await self.reply())
                if replies[-1][0] >= 400:
                    break
        for (code, text), want in zip(replies, (250, 250, 354)):
            if code != want:
                if code >= 500 or code == 0:
                    raise NotImplementedStep(text)
                raise RuntimeError(f"SMTP temporary failure: {text}")
        self.w.write(data + b".\r\n")
        code, text = await self.reply()
        t = time.monotonic()
        if code != 250:
            raise NotImplementedStep(text)
        return t

    async def quit(self):
        try:
            self.w.write(b"QUIT\r\n")
            await asyncio.wait_for(self.reply(), 5)
        except Exception:
            pass
        self.close()

    def close(self):
        try:
            self.w.close()
        except Exception:
            pass


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapClient:
    """IMAP client: tagged commands, untagged lines with literals folded in,
    IDLE. A NO/BAD to a command a workload needs raises NotImplementedStep."""

    def __init__(self, reader, writer, timeout=30):
        self.r, self.w, self.timeout = reader, writer, timeout
        self.tagn = 0
        self.exists = None

    @classmethod
    async def connect(cls, host, port, tls=None, source=None, timeout=30):
        r, w = await open_conn(host, port, tls=tls, source=source, timeout=timeout)
        c = cls(r, w, timeout)
        line = await c.line()
        if not line.startswith("* OK"):
            raise NotImplementedStep(line)
        return c

    async def line(self, timeout=None):
        """One response line; a trailing {n} literal is read and appended."""
        parts = []
        while True:
            raw = await asyncio.wait_for(self.r.readline(), timeout or self.timeout)
            if not raw:
                raise ConnectionError("IMAP connection closed")
            s = raw.decode("utf-8", "replace").rstrip("\r\n")
            parts.append(s)
            if s.endswith("}") and "{" in s:
                try:
                    n = int(s[s.rindex("{") + 1:-1].rstrip("+"))
                except ValueError:
                    break
                lit = await asyncio.wait_for(self.r.readexactly(n), timeout or self.timeout)
                parts.append(lit.decode("utf-8", "replace"))
                continue
            break
        s = "".join(parts)
        if s.startswith("* ") and s.endswith(" EXISTS"):
            try:
                self.exists = int(s.split()[1])
            except ValueError:
                pass
        elif s.startswith("* ") and s.endswith(" EXPUNGE") and self.exists:
            self.exists -= 1
        return s

    def next_tag(self):
        self.tagn += 1
        return f"b{self.tagn}"

    async def cmd(self, text, need_ok=True):
        """Send a command, return (status, tagged line, untagged lines)."""
        tag = self.next_tag()
        self.w.write(f"{tag} {text}\r\n".encode())
        untagged = []
        while True:
            s = await self.line()
            if s.startswith(tag + " "):
                status = s[len(tag) + 1:].split(" ", 1)[0]
                if need_ok and status != "OK":
                    raise NotImplementedStep(s)
                return status, s, untagged
            untagged.append(s)

    async def login(self, user, password):
        return await self.cmd(f"LOGIN {quote(user)} {quote(password)}")

    async def select(self, box="INBOX"):
        st = await self.cmd(f"SELECT {box}")
        if self.exists is None:
            raise NotImplementedStep(st[1] + " (no EXISTS in SELECT)")
        return st

    async def append(self, data, box="INBOX"):
        tag = self.next_tag()
        self.w.write(f"{tag} APPEND {box} {{{len(data)}}}\r\n".encode())
        s = await self.line()
        while not s.startswith("+"):
            if s.startswith(tag + " "):
                raise NotImplementedStep(s)
            s = await self.line()
        self.w.write(data + b"\r\n")
        while True:
            s = await self.line()
            if s.startswith(tag + " "):
                if s.split(" ", 2)[1] != "OK":
                    raise NotImplementedStep(s)
                return s

    async def idle_start(self):
        tag = self.next_tag()
        self.idle_tag = tag
        self.w.write(f"{tag} IDLE\r\n".encode())
        while True:
            s = await self.line()
            if s.startswith("+"):
                return
            if s.startswith(tag + " "):
                raise NotImplementedStep(s)

    async def idle_done(self):
        self.w.write(b"DONE\r\n")
        while True:
            s = await self.line()
            if s.startswith(self.idle_tag + " "):
                if s.split(" ", 2)[1] != "OK":
                    raise NotImplementedStep(s)
                return

    async def logout(self):
        try:
            self.w.write(b"z LOGOUT\r\n")
            while True:
                s = await self.line(timeout=5)
                if s.startswith("z "):
                    break
        except Exception:
            pass
        self.close()

    def close(self):
        try:
            self.w.close()
        except Exception:
            pass


async def gather_all(*coros):
    """Run coros to the end (no task left behind), then raise the first
    NotImplementedStep, else the first other exception, else return results."""
    res = await asyncio.gather(*coros, return_exceptions=True)
    errs = [r for r in res if isinstance(r, BaseException)]
    for e in errs:
        if isinstance(e, NotImplementedStep):
            raise e
    if errs:
        raise errs[0]
    return res


def make_message(i, rcpt, size=3000):
    """A ~size-byte text message with CRLF lines, nothing to dot-stuff."""
    head = (f"From: Bench Sender <sender@bench.test>\r\n"
            f"To: <{rcpt}>\r\n"
            f"Subject: bench message {i}\r\n"
            f"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <bench-{os.getpid()}-{i}-{time.monotonic_ns()}@bench.test>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    line = "The quick brown fox jumps over the lazy dog, message body line xx.\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return (head + body).encode()


def make_encrypted_message(i, sender, rcpt, size=3000):
    """A ~size-byte message shaped like Delta Chat's PGP/MIME (GATE-4..6:
    multipart/encrypted, an armored PKESK followed by one SEIPD of random
    octets), so it passes the encryption gate of both directions."""
    head = (f"From: <{sender}>\r\n"
            f"To: <{rcpt}>\r\n"
            f"Subject: [...]\r\n"
            f"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <bench-{os.getpid()}-{i}-{time.monotonic_ns()}@bench.test>\r\n"
            f"Chat-Version: 1.0\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
            f"\tboundary=\"bench-boundary\"\r\n\r\n"
            f"--bench-boundary\r\n"
            f"Content-Type: application/pgp-encrypted\r\n\r\n"
            f"Version: 1\r\n\r\n"
            f"--bench-boundary\r\n"
            f"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n"
            f"-----BEGIN PGP MESSAGE-----\r\n\r\n")
    tail = "-----END PGP MESSAGE-----\r\n\r\n--bench-boundary--\r\n"
    # PKESK v3 (new format, tag 1): version, key id, algorithm 18, key material.
    pkesk_body = b"\x03" + os.urandom(8) + b"\x12" + os.urandom(80)
    pkesk = bytes([0xC1, len(pkesk_body)]) + pkesk_body
    # SEIPD v1 (tag 18) filling the rest; base64 grows by 4/3 plus CRLFs.
    n = max(200, (size - len(head) - len(tail)) * 3 // 4 - len(pkesk) - 8)
    seipd_body = b"\x01" + os.urandom(n)
    m = len(seipd_body) - 192  # two-octet length (192..8383)
    seipd = bytes([0xD2, (m >> 8) + 192, m & 0xFF]) + seipd_body
    data = base64.b64encode(pkesk + seipd).decode()
    armor = "".join(data[k:k + 76] + "\r\n" for k in range(0, len(data), 76))
    return (head + armor + tail).encode()


def count_maildir(root):
    """Files in every <root>/<domain>/<account>/{new,cur}."""
    n = 0
    try:
        domains = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    for d in domains:
        if not d.is_dir():
            continue
        for acct in os.scandir(d.path):
            for sub in ("new", "cur"):
                try:
                    n += sum(1 for _ in os.scandir(os.path.join(acct.path, sub)))
                except (FileNotFoundError, NotADirectoryError):
                    pass
    return n


def descendants(pid):
    """pid and all its descendants (by /proc/*/stat ppid)."""
    children = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(e))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kib(pids):
    """(RSS sum, PSS sum) in KiB over pids; PSS from smaps_rollup."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return rss, pss


class CpuMeter:
    """Whole-machine busy share (from /proc/stat) and this process tree's
    own CPU (RUSAGE_SELF + RUSAGE_CHILDREN) over an interval."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.stat0 = self._stat()
        self.self0 = self._own()

    @staticmethod
    def _stat():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle

    @staticmethod
    def _own():
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def stop(self, extra_client_cpu=0.0):
        wall = max(time.monotonic() - self.t0, 1e-6)
        tot, idle = self._stat()
        dt, di = tot - self.stat0[0], idle - self.stat0[1]
        ncpu = os.cpu_count() or 1
        busy = 1.0 - (di / dt) if dt > 0 else 0.0
        client = (self._own() - self.self0 + extra_client_cpu) / wall / ncpu
        return {"machine_busy": round(busy, 3), "client_cpu": round(min(client, 1.0), 3),
                "server_and_other_cpu": round(max(busy - client, 0.0), 3)}


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def _worker_main(fn, args, conn):
    try:
        t0 = resource.getrusage(resource.RUSAGE_SELF)
        res = asyncio.run(fn(*args))
        t1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (t1.ru_utime - t0.ru_utime) + (t1.ru_stime - t0.ru_stime)
        conn.send(("ok", res, cpu))
    except NotImplementedStep as e:
        conn.send(("na", e.reply, 0.0))
    except BaseException as e:  # reported to the parent, never swallowed
        conn.send(("err", f"{type(e).__name__}: {e}", 0.0))
    finally:
        conn.close()


def run_workers(fn, arg_list, timeout):
    """Run asyncio coroutine fn(*args) in one forked process per args;
    returns [(status, result, cpu_seconds)]. Bounded by timeout."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    procs = []
    for args in arg_list:
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker_main, args=(fn, args, b), daemon=True)
        p.start()
        b.close()
        procs.append((p, a))
    out = []
    deadline = time.monotonic() + timeout
    for p, a in procs:
        left = max(0.1, deadline - time.monotonic())
        if a.poll(left):
            try:
                out.append(a.recv())
            except EOFError:
                out.append(("err", "worker died", 0.0))
        else:
            out.append(("err", "worker timed out", 0.0))
        p.join(1)
        if p.is_alive():
            p.kill()
            p.join()
    return out
