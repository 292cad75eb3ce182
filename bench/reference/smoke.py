#!/usr/bin/python3
"""bench/reference/smoke.py - check a reference started by setup.sh works.

Sends one message with smtplib to user1 over the MX port, one over each
authenticated submission listener (direct, and through the relay hop),
waits (bounded) each time until it is a file in user1's Maildir, then logs in with imaplib (plain and TLS) and SELECTs
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


def count(maildir):
    return sum(len(os.listdir(os.path.join(maildir, s)))
               for s in ("new", "cur") if os.path.isdir(os.path.join(maildir, s)))


def wait_more(maildir, before, what):
    deadline = time.monotonic() + 15
    n = before
    while time.monotonic() < deadline:
        n = count(maildir)
        if n > before:
            break
        time.sleep(0.05)
    if n <= before:
        sys.exit(f"smoke: {what}: message not delivered into {maildir}")
    print(f"smoke: {what}: delivered into {maildir} ({n} files)")
    return n


def main():
    env = read_env(sys.argv[1])
    dom = env["REF_DOMAIN"]
    rcpt = f"user1@{dom}"
    maildir = os.path.join(env["REF_MAIL_ROOT"], dom, "user1")
    before = count(maildir)
    with smtplib.SMTP("127.0.0.1", int(env["REF_SMTP_PORT"]), timeout=10) as s:
        s.ehlo("smoke.bench.test")
        s.sendmail("sender@bench.test", [rcpt],
                   f"From: sender@bench.test\r\nTo: {rcpt}\r\nSubject: smoke\r\n\r\nhello\r\n")
    before = wait_more(maildir, before, "MX port")
    # authenticated submission, direct and through the relay hop
    sender = f"user2@{dom}"
    for key in ("REF_SUBMISSION_PORT", "REF_RELAY_SUBMISSION_PORT"):
        with smtplib.SMTP("127.0.0.1", int(env[key]), timeout=10) as s:
            s.ehlo("smoke.bench.test")
            s.login(sender, env["REF_PASSWORD"])
            s.sendmail(sender, [rcpt],
                       f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {key}\r\n\r\nhello\r\n")
        before = wait_more(maildir, before, key)
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
