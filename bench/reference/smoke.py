#!/usr/bin/python3
"""bench/reference/smoke.py - check a reference started by setup.sh works.

Sends one message with smtplib to user1, waits (bounded) until it is a file
in user1's Maildir, then logs in with imaplib (plain and TLS) and SELECTs
INBOX. Usage: smoke.py DIR. Exit 0 on success. Loopback only.
"""
import imaplib
import os
import smtplib
import ssl
import sys
import time


def read_env(d):
    env = {}
    with open(os.path.join(d, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip("'")
    return env


def main():
    env = read_env(sys.argv[1])
    dom = env["REF_DOMAIN"]
    rcpt = f"user1@{dom}"
    maildir = os.path.join(env["REF_MAIL_ROOT"], dom, "user1")
    before = sum(len(os.listdir(os.path.join(maildir, s)))
                 for s in ("new", "cur") if os.path.isdir(os.path.join(maildir, s)))
    with smtplib.SMTP("127.0.0.1", int(env["REF_SMTP_PORT"]), timeout=10) as s:
        s.ehlo("smoke.bench.test")
        s.sendmail("sender@bench.test", [rcpt],
                   f"From: sender@bench.test\r\nTo: {rcpt}\r\nSubject: smoke\r\n\r\nhello\r\n")
    deadline = time.monotonic() + 15
    n = before
    while time.monotonic() < deadline:
        n = sum(len(os.listdir(os.path.join(maildir, s)))
                for s in ("new", "cur") if os.path.isdir(os.path.join(maildir, s)))
        if n > before:
            break
        time.sleep(0.05)
    if n <= before:
        sys.exit(f"smoke: message not delivered into {maildir}")
    print(f"smoke: delivered into {maildir} ({n} files)")
    m = imaplib.IMAP4("127.0.0.1", int(env["REF_IMAP_PORT"]), timeout=10)
    m.login(rcpt, env["REF_PASSWORD"])
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) >= 1, (typ, data)
    m.logout()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["REF_IMAPS_PORT"]), ssl_context=ctx, timeout=10)
    m.login(rcpt, env["REF_PASSWORD"])
    typ, data = m.select("INBOX")
    assert typ == "OK", (typ, data)
    m.logout()
    print(f"smoke: IMAP and IMAPS LOGIN + SELECT ok, {int(data[0])} messages")


if __name__ == "__main__":
    main()
