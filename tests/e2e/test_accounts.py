"""Accounts and authentication end to end (ACC-*, AUTH-*, IMAP-15/16, SUB-2).

Runs the real binary on loopback. auth_failure_delay is 0 unless a test
measures it, so the suite stays fast.
"""
import base64
import os
import threading
import time

from accounts_helpers import Imap, Smtp, cli, plain_b64, recv_line

FAST = {"auth_failure_delay": "0s", "min_available_memory": "0", "min_free_disk_space": "0"}


def fast_server(server_factory, **params):
    p = dict(FAST)
    p.update(params)
    return server_factory(params=p).start()


def test_jit_creation_and_login(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    assert "AUTH=PLAIN" in m.greeting and "SASL-IR" in m.greeting
    assert m.login("NewUser01@Example.ORG", "password123") == \
        "OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE " \
        "QUOTA METADATA SPECIAL-USE COMPRESS=DEFLATE XCHATMAIL XDELTAPUSH] Logged in."
    m.close()
    # ACC-1: the stored name is lowercase; the INBOX maildir exists (AUTH-3).
    box = os.path.join(srv.params["data_dir"], "mail", "example.org", "newuser01@example.org")
    for sub in ("cur", "new", "tmp"):
        assert os.path.isdir(os.path.join(box, sub))
    m = Imap(srv)
    assert m.login("newuser01@example.org", "wrong-password") == \
        "NO [AUTHENTICATIONFAILED] Authentication failed."
    assert m.login("newuser01@example.org", "password123").startswith("OK")
    m.close()
    s = Smtp(srv)
    assert s.auth_plain("newuser01@example.org", "password123") == \
        "235 2.7.0 Authentication successful"
    assert s.cmd("AUTH PLAIN " + plain_b64("newuser01@example.org", "password123")) == \
        "503 5.5.1 Already authenticated"
    s.close()
    out = cli(srv, "account", "list", check=0).stdout
    assert out.startswith("newuser01@example.org 0 524288000 ")


def test_login_refused_while_the_maildir_cannot_be_made(server_factory):
    """A JIT login whose INBOX cannot be created is a temporary failure, not a session on an
    account that cannot store anything; the retry after the cause is gone makes the INBOX."""
    srv = fast_server(server_factory)
    domain_dir = os.path.join(srv.params["data_dir"], "mail", "example.org")
    os.makedirs(domain_dir, exist_ok=True)
    blocker = os.path.join(domain_dir, "nomaildir@example.org")
    with open(blocker, "w") as f:
        f.write("not a directory\n")
    m = Imap(srv)
    reply = m.login("nomaildir@example.org", "password123")
    assert reply.startswith("NO [UNAVAILABLE]"), reply
    m.close()
    os.unlink(blocker)
    m = Imap(srv)
    assert m.login("nomaildir@example.org", "password123").startswith("OK")
    m.close()
    assert os.path.isdir(os.path.join(blocker, "cur"))


def test_jit_refusals(server_factory):
    srv = fast_server(server_factory, reserved_local_parts="SupportMe")
    m = Imap(srv)
    for user, pw in [("short@example.org", "password123"),         # ACC-4: 5 < 9
                     ("toolongname@example.org", "password123"),   # 11 > 9
                     ("abcdefghi@example.org", "short"),           # password_min_length
                     ("postmaster@example.org", "password123"),    # ACC-3
                     ("abcd..efg@example.org", "password123"),     # ACC-2
                     ("supportme@example.org", "password123"),    # reserved_local_parts
                     ("abcdefghi@other.org", "password123"),       # not local
                     ("abcdefghi", "password123"),
                     ("a@b@example.org", "password123")]:
        assert m.login(user, pw) == "NO [AUTHENTICATIONFAILED] Authentication failed.", user
    m.close()
    assert cli(srv, "account", "list", check=0).stdout == ""
    srv2 = fast_server(server_factory, jit_accounts="no")
    m = Imap(srv2)
    assert m.login("abcdefghi@example.org", "password123").startswith("NO [AUTHENTICATIONFAILED]")
    m.close()


def race(srv, address, pw_a, pw_b, mode):
    """Two first logins at the same instant; returns (result a, result b)."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def imap(i, pw):
        m = Imap(srv)
        barrier.wait()
        results[i] = m.login(address, pw).startswith("OK")
        m.close()

    def smtp(i, pw):
        s = Smtp(srv)
        s.ehlo()
        barrier.wait()
        results[i] = s.cmd("AUTH PLAIN " + plain_b64(address, pw)).startswith("235")
        s.close()

    second = smtp if mode == "imap+smtp" else imap
    threads = [threading.Thread(target=imap, args=(0, pw_a)),
               threading.Thread(target=second, args=(1, pw_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_first_logins(server_factory):
    srv = fast_server(server_factory, threads="4", auth_fail_limit_ip="1000")
    rounds = 12
    for i in range(rounds):
        mode = "imap+smtp" if i % 2 else "imap+imap"
        addr = f"same{i:05d}@example.org"
        assert race(srv, addr, "samepassword", "samepassword", mode) == [True, True], addr
    for i in range(rounds):
        mode = "imap+smtp" if i % 2 else "imap+imap"
        addr = f"diff{i:05d}@example.org"
        a, b = race(srv, addr, "password-a", "password-b", mode)
        assert a != b, (addr, a, b)  # exactly one defines the password
        winner = "password-a" if a else "password-b"
        loser = "password-b" if a else "password-a"
        m = Imap(srv)
        assert m.login(addr, winner).startswith("OK")
        m.close()
        m = Imap(srv)
        assert m.login(addr, loser).startswith("NO [AUTHENTICATIONFAILED]")
        m.close()
    lines = cli(srv, "account", "list", check=0).stdout.splitlines()
    assert len(lines) == 2 * rounds
    assert len({line.split()[0] for line in lines}) == 2 * rounds


def test_wrong_password_never_overwrites(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    assert m.login("keeper001@example.org", "original-pw").startswith("OK")
    m.close()
    for _ in range(3):
        m = Imap(srv)
        assert m.login("keeper001@example.org", "attacker-pw").startswith("NO [AUTHENTICATIONFAILED]")
        m.close()
    m = Imap(srv)
    assert m.login("keeper001@example.org", "original-pw").startswith("OK")
    m.close()


def test_ip_throttling_engages_and_releases(server_factory):
    srv = fast_server(server_factory, auth_fail_limit_ip="3", auth_fail_window="2s")
    m = Imap(srv)
    assert m.login("throttle1@example.org", "good-password").startswith("OK")
    m.close()
    m = Imap(srv)
    for _ in range(3):
        assert m.login("throttle1@example.org", "bad-password").startswith("NO [AUTHENTICATIONFAILED]")
    # AUTH-9: even the right password (cached) gets the temporary error now.
    assert m.login("throttle1@example.org", "good-password") == \
        "NO [UNAVAILABLE] Too many failed logins, try again later."
    s = Smtp(srv)
    assert s.auth_plain("throttle1@example.org", "good-password") == \
        "454 4.7.0 Too many failed authentication attempts, try again later"
    s.close()
    time.sleep(2.3)
    assert m.login("throttle1@example.org", "good-password").startswith("OK")
    m.close()


def test_account_throttling_keeps_cached_clients(server_factory):
    srv = fast_server(server_factory, auth_fail_limit_ip="1000", auth_fail_limit_account="2",
                      auth_fail_window="60s")
    cli(srv, "account", "add", "cached001@example.org", "--password", "cached-pw1", check=0)
    cli(srv, "account", "add", "coldacct1@example.org", "--password", "cold-pw123", check=0)
    m = Imap(srv)
    assert m.login("cached001@example.org", "cached-pw1").startswith("OK")
    m.close()
    m = Imap(srv)
    for acct in ("cached001@example.org", "coldacct1@example.org"):
        for _ in range(2):
            assert m.login(acct, "guess-guess").startswith("NO [AUTHENTICATIONFAILED]")
    m.close()
    # AUTH-10: the client that logged in before still gets in through the cache ...
    m = Imap(srv)
    assert m.login("cached001@example.org", "cached-pw1").startswith("OK")
    m.close()
    # ... while an account without a cache entry is refused without verification.
    m = Imap(srv)
    assert m.login("coldacct1@example.org", "cold-pw123").startswith("NO [UNAVAILABLE]")
    m.close()


def test_failure_delay_does_not_block_others(server_factory):
    srv = fast_server(server_factory, auth_failure_delay="1s")
    cli(srv, "account", "add", "delayed01@example.org", "--password", "delayed-pw", check=0)
    slow = Imap(srv)
    t0 = time.monotonic()
    slow.send('x1 LOGIN "delayed01@example.org" "wrong-pw"')
    # Meanwhile another session is served at once.
    fast = Imap(srv)
    _, tagged = fast.cmd("CAPABILITY")
    assert tagged.startswith("OK") and time.monotonic() - t0 < 0.9
    assert fast.login("delayed01@example.org", "delayed-pw").startswith("OK")
    assert time.monotonic() - t0 < 0.9
    _, tagged = slow.until("x1")
    assert tagged.startswith("NO [AUTHENTICATIONFAILED]")
    assert time.monotonic() - t0 >= 0.95
    slow.close()
    fast.close()


def test_imap_authenticate_plain(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    _, tagged = m.cmd("AUTHENTICATE PLAIN " + plain_b64("saslir001@example.org", "sasl-pass1"))
    assert tagged == "OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE " \
        "QUOTA METADATA SPECIAL-USE COMPRESS=DEFLATE XCHATMAIL XDELTAPUSH] Logged in."
    _, tagged = m.cmd("LOGIN x y")
    assert tagged.startswith("BAD")
    m.close()
    m = Imap(srv)
    m.send("a1 AUTHENTICATE PLAIN")
    assert recv_line(m.sock) == "+ "
    m.send(plain_b64("saslir001@example.org", "sasl-pass1"))
    _, tagged = m.until("a1")
    assert tagged.startswith("OK [CAPABILITY")
    m.close()
    m = Imap(srv)
    m.send("a1 AUTHENTICATE PLAIN")
    assert recv_line(m.sock) == "+ "
    m.send("*")
    assert m.until("a1")[1] == "BAD Authentication aborted."
    assert m.cmd("AUTHENTICATE PLAIN !!!!")[1] == "BAD Invalid SASL response."
    assert m.cmd("AUTHENTICATE CRAM-MD5")[1] == \
        "NO [CANNOT] Unsupported authentication mechanism."
    # AUTH-1: authorization identity must match.
    assert m.cmd("AUTHENTICATE PLAIN " + plain_b64("saslir001@example.org", "sasl-pass1",
                                                    authz="other0001@example.org"))[1] == \
        "NO [AUTHENTICATIONFAILED] Authentication failed."
    assert m.cmd("AUTHENTICATE PLAIN " + plain_b64("saslir001@example.org", "sasl-pass1",
                                                    authz="SASLIR001@example.org"))[1].startswith("OK")
    m.close()


def test_imap_login_quoting(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    assert m.login("quoted001@example.org", 'pa"ss\\word').startswith("OK")
    m.close()
    m = Imap(srv)
    assert m.cmd('LOGIN quoted001@example.org "pa\\"ss\\\\word"')[1].startswith("OK")
    m.close()
    m = Imap(srv)
    assert m.cmd('LOGIN "unterminated')[1].startswith("BAD")
    assert m.cmd('LOGIN "a\\b" "c"')[1].startswith("BAD")
    m.close()


def test_smtp_auth_variants(server_factory):
    srv = fast_server(server_factory)
    s = Smtp(srv)
    assert "250-AUTH PLAIN LOGIN" in s.ehlo()
    assert s.cmd("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert s.cmd(base64.b64encode(b"smtplogin@example.org").decode()) == \
        "334 UGFzc3dvcmQ6"
    assert s.cmd(base64.b64encode(b"login-pass1").decode()) == \
        "235 2.7.0 Authentication successful"
    s.close()
    b64 = lambda t: base64.b64encode(t.encode()).decode()
    s = Smtp(srv)
    s.ehlo()
    assert s.cmd("AUTH LOGIN " + b64("smtplogin@example.org")) == "334 UGFzc3dvcmQ6"
    assert s.cmd(b64("wrong-pass")) == "535 5.7.8 Authentication credentials invalid"
    assert s.cmd("AUTH PLAIN") == "334 "
    assert s.cmd("*") == "501 5.7.0 Authentication aborted"
    assert s.cmd("AUTH PLAIN") == "334 "
    assert s.cmd("not base64!") == "501 5.5.2 Cannot decode response"
    assert s.cmd("AUTH CRAM-MD5") == "504 5.5.4 Unrecognized authentication type"
    assert s.cmd("AUTH PLAIN") == "334 "
    assert s.cmd(plain_b64("smtplogin@example.org", "login-pass1")) == \
        "235 2.7.0 Authentication successful"
    s.close()
    mx = Smtp(srv, "smtp_port")
    assert "AUTH" not in mx.ehlo()
    assert mx.cmd("AUTH PLAIN " + plain_b64("smtplogin@example.org", "login-pass1")) == \
        "502 5.5.1 Command not implemented"  # MX-1
    mx.close()


def test_cli_stopped_server_round_trip(server_factory):
    srv = server_factory(params=dict(FAST))
    srv.write_config()
    cli(srv, "account", "add", "offline01@example.org", "--password", "offline-pw1", check=0)
    p = cli(srv, "account", "add", "offline01@example.org", "--password", "offline-pw1")
    assert p.returncode == 1 and "exists" in p.stderr
    assert cli(srv, "account", "add", "admin@example.org").returncode == 2
    gen = cli(srv, "account", "add", "offline02@example.org", check=0).stdout.strip()
    assert len(gen) >= 24 and gen.isalnum()
    newpw = cli(srv, "account", "passwd", "offline01@example.org", check=0).stdout.strip()
    assert len(newpw) >= 24
    cli(srv, "account", "quota", "offline02@example.org", "10M", check=0)
    assert cli(srv, "account", "quota", "offline02@example.org", check=0).stdout == "0 10485760\n"
    lines = cli(srv, "account", "list", check=0).stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["offline01@example.org", "offline02@example.org"]
    assert lines[1].split()[1:3] == ["0", "10485760"]
    cli(srv, "account", "quota", "offline02@example.org", "default", check=0)
    cli(srv, "block", "add", "@Spam.Example", check=0)
    cli(srv, "block", "add", "evil00001@example.org", check=0)
    assert cli(srv, "block", "list", check=0).stdout == "evil00001@example.org\nspam.example\n"
    assert cli(srv, "account", "del", "nobody999@example.org").returncode == 1
    srv.start()
    m = Imap(srv)
    assert m.login("offline01@example.org", "offline-pw1").startswith("NO")
    assert m.login("offline01@example.org", newpw).startswith("OK")
    m.close()
    m = Imap(srv)
    assert m.login("offline02@example.org", gen).startswith("OK")
    m.close()
    m = Imap(srv)  # blocked: no JIT creation (FED-10)
    assert m.login("evil00001@example.org", "password123").startswith("NO [AUTHENTICATIONFAILED]")
    m.close()
    srv.stop()
    cli(srv, "account", "del", "offline02@example.org", check=0)
    assert cli(srv, "account", "list", check=0).stdout.split()[0] == "offline01@example.org"
    assert not os.path.exists(os.path.join(srv.params["data_dir"], "mail", "example.org",
                                           "offline02@example.org"))


def test_cli_running_server_closes_sessions(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    assert m.login("victim001@example.org", "victim-pw1").startswith("OK")
    s = Smtp(srv)
    assert s.auth_plain("victim001@example.org", "victim-pw1").startswith("235")
    t0 = time.monotonic()
    cli(srv, "account", "del", "victim001@example.org", check=0)
    assert recv_line(m.sock, 2) == "* BYE Account deleted."
    assert s.reply(2) == "421 4.7.0 example.org Account deleted"
    assert time.monotonic() - t0 < 5
    m.close()
    s.close()
    assert cli(srv, "account", "list", check=0).stdout == ""
    # The name may be created again (not blocked), with a new password.
    m = Imap(srv)
    assert m.login("victim001@example.org", "second-pw1").startswith("OK")
    m.close()
    # passwd on a running server invalidates the cache entry (AUTH-8).
    out = cli(srv, "account", "passwd", "victim001@example.org", "third-pw12", check=0)
    assert out.stdout == ""
    m = Imap(srv)
    assert m.login("victim001@example.org", "second-pw1").startswith("NO [AUTHENTICATIONFAILED]")
    assert m.login("victim001@example.org", "third-pw12").startswith("OK")
    # del --block closes the session and prevents re-creation.
    cli(srv, "account", "del", "victim001@example.org", "--block", check=0)
    assert recv_line(m.sock, 2) == "* BYE Account deleted."
    m.close()
    m = Imap(srv)
    assert m.login("victim001@example.org", "third-pw12").startswith("NO [AUTHENTICATIONFAILED]")
    m.close()
    assert cli(srv, "block", "list", check=0).stdout == "victim001@example.org\n"
    cli(srv, "block", "del", "victim001@example.org", check=0)
    assert cli(srv, "block", "list", check=0).stdout == ""


def test_block_add_closes_sessions(server_factory):
    srv = fast_server(server_factory)
    m = Imap(srv)
    assert m.login("blocked01@example.org", "blocked-pw").startswith("OK")
    cli(srv, "block", "add", "BLOCKED01@example.org", check=0)
    assert recv_line(m.sock, 2) == "* BYE Account deleted."
    m.close()
    m = Imap(srv)
    assert m.login("blocked01@example.org", "blocked-pw").startswith("NO [AUTHENTICATIONFAILED]")
    m.close()


def test_imported_dovecot_hash(server_factory):
    srv = fast_server(server_factory)
    # openssl passwd -6 -salt abcdefgh hunter2pass, as in a chatmail password file
    h = ("{SHA512-CRYPT}$6$abcdefgh$XdBfiUNUVzzA2RNOi9Cf/ayuDATeFVhkKKReeGbq/IkIlHoPupjzrh0W"
         "Opg.85zdO0qyoeTVQXzklx2HjoMGO/")
    cli(srv, "account", "add", "imported1@example.org", "--hash", h, check=0)
    cli(srv, "account", "add", "imported2@example.org", "--hash", "{PLAIN}plain-pass1", check=0)
    assert cli(srv, "account", "add", "imported3@example.org", "--hash", "{MD5}x").returncode == 2
    m = Imap(srv)
    assert m.login("imported1@example.org", "wrong").startswith("NO")
    assert m.login("imported1@example.org", "hunter2pass").startswith("OK")
    m.close()
    s = Smtp(srv)
    assert s.auth_plain("imported2@example.org", "plain-pass1").startswith("235")
    s.close()
    db = os.path.join(srv.params["data_dir"], "chatrelay.db")
    assert b"{PLAIN}" not in open(db, "rb").read()


def test_imap_connections_per_account(server_factory):
    srv = fast_server(server_factory, max_imap_connections_per_account="2")
    sessions = [Imap(srv) for _ in range(3)]
    assert sessions[0].login("limited01@example.org", "limited-pw").startswith("OK")
    assert sessions[1].login("limited01@example.org", "limited-pw").startswith("OK")
    assert sessions[2].login("limited01@example.org", "limited-pw") == \
        "NO [LIMIT] Too many connections for this account."
    sessions[0].cmd("LOGOUT")
    sessions[0].close()
    time.sleep(0.2)
    assert sessions[2].login("limited01@example.org", "limited-pw").startswith("OK")
    for m in sessions[1:]:
        m.close()


def test_last_login_day(server_factory):
    import sqlite3
    srv = fast_server(server_factory)
    cli(srv, "account", "add", "lastlogin@example.org", "--password", "lastlogin1", check=0)
    db = sqlite3.connect(os.path.join(srv.params["data_dir"], "chatrelay.db"), timeout=10)
    db.execute("UPDATE accounts SET last_login_day = '2020-01-01' WHERE address = ?",
               ("lastlogin@example.org",))
    db.commit()
    db.close()
    assert cli(srv, "account", "list", check=0).stdout.split()[3] == "2020-01-01"
    m = Imap(srv)
    assert m.login("lastlogin@example.org", "lastlogin1").startswith("OK")
    m.close()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert cli(srv, "account", "list", check=0).stdout.split()[3] == today


def test_control_socket_with_a_long_data_dir(server_factory, tmpdir_srv):
    data_dir = os.path.join(tmpdir_srv, "d" * 120)  # longer than sun_path
    srv = server_factory(params=dict(FAST, data_dir=data_dir)).start()
    m = Imap(srv)
    assert m.login("longpath1@example.org", "longpath-pw").startswith("OK")
    cli(srv, "account", "del", "longpath1@example.org", check=0)
    assert recv_line(m.sock, 2) == "* BYE Account deleted."
    m.close()


def test_overlong_password_fails(server_factory):
    # ACC-4 allows 1024 octets, libxcrypt only 511 (see AUTH_PASSWORD_MAX).
    srv = fast_server(server_factory)
    long_pw = "x" * 512
    m = Imap(srv)
    assert m.login("overlong1@example.org", long_pw) == \
        "NO [AUTHENTICATIONFAILED] Authentication failed."
    assert m.login("overlong1@example.org", "x" * 511).startswith("OK")
    m.close()
    s = Smtp(srv)
    assert s.auth_plain("overlong1@example.org", long_pw) == \
        "535 5.7.8 Authentication credentials invalid"
    s.close()
