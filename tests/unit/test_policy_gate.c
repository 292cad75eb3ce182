/*
 * test_policy_gate.c - the encryption gate (GATE-1..12): every fixture of
 * tests/data/mail in both directions, real gpg output (make-gpg-fixtures.sh)
 * and constructed cases for every clause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy_gate.h"
#include "mail_fixture.h"

#define OUT GATE_OUTGOING
#define IN GATE_INCOMING

static const char *env_sender = "alice@example.org";
static const char *env_rcpt_list[2] = {"bob@remote.example", "carol@remote.example"};
static size_t env_nrcpts = 1;
static char **env_pt_senders;
static size_t env_npt_senders;
static char **env_pt_rcpts;
static size_t env_npt_rcpts;

static int
reset_env(void **state)
{
	(void)state;
	env_sender = "alice@example.org";
	env_rcpt_list[0] = "bob@remote.example";
	env_rcpt_list[1] = "carol@remote.example";
	env_nrcpts = 1;
	env_pt_senders = env_pt_rcpts = NULL;
	env_npt_senders = env_npt_rcpts = 0;
	return 0;
}

/* verdict - run the gate on msg[0..len) with the current envelope. */
static enum gate_verdict
verdict_n(const char *msg, size_t len, enum gate_direction dir, const char **why_r)
{
	struct gate_envelope env = {
	        .sender = env_sender,
	        .rcpts = env_rcpt_list,
	        .nrcpts = env_nrcpts,
	        .passthrough_senders = env_pt_senders,
	        .npassthrough_senders = env_npt_senders,
	        .passthrough_recipients = env_pt_rcpts,
	        .npassthrough_recipients = env_npt_rcpts,
	};
	enum gate_verdict v;
	const char *why = NULL;

	assert_int_equal(gate_check(msg, len, dir, &env, &v, &why), 0);
	if (v == GATE_REJECT)
		assert_non_null(why);
	else
		assert_null(why);
	if (why_r != NULL)
		*why_r = why;
	return v;
}

static enum gate_verdict
verdict(const char *msg, enum gate_direction dir)
{
	return verdict_n(msg, strlen(msg), dir, NULL);
}

/* expect - verdict in both directions, with a readable failure. */
static void
expect(const char *what, const char *msg, enum gate_verdict out, enum gate_verdict in)
{
	const char *why;
	enum gate_verdict v;

	v = verdict_n(msg, strlen(msg), OUT, &why);
	if (v != out)
		fail_msg("%s outgoing: got %s (%s), want %s", what, gate_verdict_name(v),
		        why ? why : "-", gate_verdict_name(out));
	v = verdict_n(msg, strlen(msg), IN, &why);
	if (v != in)
		fail_msg("%s incoming: got %s (%s), want %s", what, gate_verdict_name(v),
		        why ? why : "-", gate_verdict_name(in));
}

/* mk - printf into a heap string with LF turned into CRLF. */
static char *mk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
mk(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return fixture_crlf(s);
}

/* b64 - standard base64 of p[0..n) in lines of 64, each ended by LF. */
static char *
b64(const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(n * 2 + 8);
	size_t o = 0, col = 0;

	assert_non_null(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		        (i + 2 < n ? p[i + 2] : 0);

		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
		col += 4;
		if (col == 64) {
			out[o++] = '\n';
			col = 0;
		}
	}
	if (col != 0)
		out[o++] = '\n';
	out[o] = '\0';
	return out;
}

/* armor - ASCII armor around packets with a fake checksum. */
static char *
armor(const unsigned char *p, size_t n)
{
	char *data = b64(p, n), *s = NULL;

	assert_true(
	        asprintf(&s, "-----BEGIN PGP MESSAGE-----\n\n%s=abcd\n-----END PGP MESSAGE-----\n",
	                data) >= 0);
	free(data);
	return s;
}

/* pgpmime - a multipart/encrypted message carrying armor_text as part 2. */
static char *
pgpmime(const char *armor_text)
{
	return mk("From: alice@example.org\nTo: bob@remote.example\nSubject: [...]\n"
	          "MIME-Version: 1.0\n"
	          "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\n"
	          "\tboundary=\"XYZ\"\n\n"
	          "--XYZ\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
	          "--XYZ\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n"
	          "%s\n--XYZ--\n",
	        armor_text);
}

/* expect_packets - wrap packets in armor and PGP/MIME and check the verdict. */
static void
expect_packets(const char *what, const unsigned char *p, size_t n, enum gate_verdict v)
{
	char *a = armor(p, n), *m = pgpmime(a);
	const char *why = NULL;

	assert_int_equal(gate_packets_check(p, n, &why), v == GATE_PASS_ENCRYPTED);
	expect(what, m, v, v);
	free(a);
	free(m);
}

static void
test_gate_fixtures(void **state)
{
	static const struct {
		const char *name;
		enum gate_verdict out, in;
	} cases[] = {
	        {"encrypted.eml", GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED},
	        {"plain.eml", GATE_REJECT, GATE_REJECT},
	        {"securejoin-vc.eml", GATE_PASS_SECUREJOIN, GATE_PASS_SECUREJOIN},
	        {"asm.eml", GATE_REJECT, GATE_REJECT}, /* to another recipient */
	        {"mailer-daemon.eml", GATE_REJECT, GATE_PASS_BOUNCE},
	        {"mdn.eml", GATE_REJECT, GATE_REJECT},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t len;
		char *m = fixture_load(cases[k].name, env_sender, env_rcpt_list[0], &len);

		expect(cases[k].name, m, cases[k].out, cases[k].in);
		free(m);
	}
}

static void
test_gate_fixture_lf(void **state)
{
	size_t len;
	char *m = fixture_read("encrypted.eml", &len);

	(void)state;
	/* the raw LF file (not as SMTP stores it) is still read correctly */
	m = fixture_replace(m, "{from_addr}", "alice@example.org");
	expect("encrypted.eml LF", m, GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	free(m);
}

static void
test_gate_asm(void **state)
{
	size_t len;
	char *m;

	(void)state;
	/* GATE-8: self-addressed on submission only */
	m = fixture_load("asm.eml", "alice@example.org", "alice@example.org", &len);
	env_rcpt_list[0] = "Alice@Example.org";
	expect("asm to self", m, GATE_PASS_SETUP, GATE_REJECT);
	env_nrcpts = 2;
	env_rcpt_list[1] = "alice@example.org";
	expect("asm to self twice", m, GATE_REJECT, GATE_REJECT);
	env_nrcpts = 1;
	free(m);
	m = fixture_load("asm.eml", "alice@example.org", "alice@example.org", &len);
	m = fixture_replace(m, "Subject: Autocrypt Setup Message", "Subject: Autocrypt Setup");
	expect("asm other subject", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("asm.eml", "alice@example.org", "alice@example.org", &len);
	m = fixture_replace(m, "multipart/mixed", "multipart/alternative");
	expect("asm not mixed", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("asm.eml", "mallory@example.org", "alice@example.org", &len);
	expect("asm From differs from the recipient", m, GATE_REJECT, GATE_REJECT);
	free(m);
}

static void
test_gate_bounce(void **state)
{
	size_t len;
	char *m;

	(void)state;
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "Auto-Submitted: auto-replied \r\n", "");
	expect("bounce without Auto-Submitted", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "Auto-Submitted: auto-replied ", "Auto-Submitted: No");
	expect("bounce with Auto-Submitted: no", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "Auto-Submitted: auto-replied ", "Auto-Submitted:  ");
	expect("bounce with empty Auto-Submitted", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "MAILER-DAEMON@example.org", "postmaster@example.org");
	expect("bounce from postmaster", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "multipart/report", "multipart/mixed");
	expect("bounce not multipart/report", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("mailer-daemon.eml", "x", "y", &len);
	m = fixture_replace(m, "--JAA13167.773673707/CS.UTK.EDU--", "");
	expect("bounce without closing delimiter", m, GATE_REJECT, GATE_REJECT);
	free(m);
}

static const char sj_fmt[] = "From: <alice@example.org>\nTo: <bob@remote.example>\n"
                             "Subject: Message from alice@example.org\n%s"
                             "MIME-Version: 1.0\nContent-Type: %s; boundary=\"SJ\"\n\n"
                             "--SJ\nContent-Type: %s\n%s\n%s\n--SJ--\n";

static void
test_gate_securejoin(void **state)
{
	static const struct {
		const char *what, *hdr, *type, *ptype, *cte, *body;
		enum gate_verdict v;
	} cases[] = {
	        {"vc-request", "Secure-Join: vc-request\n", "multipart/mixed", "text/plain", "",
	                "Secure-Join: vc-request\n", GATE_PASS_SECUREJOIN},
	        {"vg-request", "Secure-Join: vg-request\n", "multipart/mixed", "text/plain", "",
	                "Secure-Join: vg-request\n", GATE_PASS_SECUREJOIN},
	        {"uppercase body", "Secure-Join:  vg-request \n", "multipart/alternative",
	                "text/plain; charset=utf-8", "", "\n  SECURE-JOIN: VG-REQUEST  \n\n",
	                GATE_PASS_SECUREJOIN},
	        {"base64 body", "Secure-Join: vc-request\n", "multipart/mixed", "text/plain",
	                "Content-Transfer-Encoding: base64\n", "U2VjdXJlLUpvaW46IHZjLXJlcXVlc3Q=\n",
	                GATE_PASS_SECUREJOIN},
	        {"other body", "Secure-Join: vc-request\n", "multipart/mixed", "text/plain", "",
	                "Secure-Join: vc-request\nhello\n", GATE_REJECT},
	        {"body of another step", "Secure-Join: vc-request\n", "multipart/mixed",
	                "text/plain", "", "Secure-Join: vc-auth-required\n", GATE_REJECT},
	        {"vc-auth-required in clear", "Secure-Join: vc-auth-required\n", "multipart/mixed",
	                "text/plain", "", "Secure-Join: vc-auth-required\n", GATE_REJECT},
	        {"header case", "Secure-Join: VC-REQUEST\n", "multipart/mixed", "text/plain", "",
	                "Secure-Join: vc-request\n", GATE_REJECT},
	        {"no header", "", "multipart/mixed", "text/plain", "", "Secure-Join: vc-request\n",
	                GATE_REJECT},
	        {"two headers", "Secure-Join: vc-request\nSecure-Join: vc-request\n",
	                "multipart/mixed", "text/plain", "", "Secure-Join: vc-request\n",
	                GATE_REJECT},
	        {"html part", "Secure-Join: vc-request\n", "multipart/mixed", "text/html", "",
	                "Secure-Join: vc-request\n", GATE_REJECT},
	        {"bad encoding", "Secure-Join: vc-request\n", "multipart/mixed", "text/plain",
	                "Content-Transfer-Encoding: x-uuencode\n", "Secure-Join: vc-request\n",
	                GATE_REJECT},
	        {"nested multipart", "Secure-Join: vc-request\n", "multipart/mixed",
	                "multipart/mixed; boundary=in", "",
	                "--in\n\nSecure-Join: vc-request\n--in--\n", GATE_REJECT},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char *m = mk(sj_fmt, cases[k].hdr, cases[k].type, cases[k].ptype, cases[k].cte,
		        cases[k].body);

		expect(cases[k].what, m, cases[k].v, cases[k].v);
		free(m);
	}
}

static void
test_gate_securejoin_shapes(void **state)
{
	char *m;

	(void)state;
	/* header-only Secure-Join: a text/plain message (GATE-7 needs multipart) */
	m = mk("From: a@example.org\nSecure-Join: vc-request\n\nSecure-Join: vc-request\n");
	expect("header-only", m, GATE_REJECT, GATE_REJECT);
	free(m);
	/* two parts */
	m = mk("From: a@example.org\nSecure-Join: vc-request\n"
	       "Content-Type: multipart/mixed; boundary=b\n\n"
	       "--b\n\nSecure-Join: vc-request\n--b\n\nSecure-Join: vc-request\n--b--\n");
	expect("two parts", m, GATE_REJECT, GATE_REJECT);
	free(m);
	/* no closing delimiter */
	m = mk("From: a@example.org\nSecure-Join: vc-request\n"
	       "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nSecure-Join: vc-request\n");
	expect("unterminated", m, GATE_REJECT, GATE_REJECT);
	free(m);
}

/* gpg_case - a real gpg armor from tests/data/mail wrapped in PGP/MIME. */
static void
gpg_case(const char *file, enum gate_verdict out, enum gate_verdict in)
{
	size_t len;
	char *a = fixture_read(file, &len), *m;

	a = fixture_crlf(a);
	m = pgpmime(a);
	expect(file, m, out, in);
	free(m);
	free(a);
}

static void
test_gate_gpg(void **state)
{
	(void)state;
	gpg_case("gpg-pkesk.asc", GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	gpg_case("gpg-pkesk2.asc", GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	gpg_case("gpg-skesk.asc", GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	gpg_case("gpg-partial.asc", GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	/* GATE-5.3: Version removed inbound, refused on submission; Comment never */
	gpg_case("gpg-version.asc", GATE_REJECT, GATE_PASS_ENCRYPTED);
	gpg_case("gpg-comment.asc", GATE_REJECT, GATE_REJECT);
	/* GATE-6: not encrypted */
	gpg_case("gpg-literal.asc", GATE_REJECT, GATE_REJECT);
	gpg_case("gpg-compressed.asc", GATE_REJECT, GATE_REJECT);
	gpg_case("gpg-signed.asc", GATE_REJECT, GATE_REJECT);
}

static void
test_gate_armor_in_text(void **state)
{
	size_t len;
	char *a = fixture_read("gpg-pkesk.asc", &len), *m;

	(void)state;
	m = mk("From: alice@example.org\nContent-Type: text/plain\n\n%s", a);
	expect("armor in text/plain", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = mk("From: alice@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"
	       "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
	       "--b\nContent-Type: application/octet-stream\n\n%s\n--b--\n",
	        a);
	expect("PGP parts in multipart/mixed", m, GATE_REJECT, GATE_REJECT);
	free(m);
	free(a);
}

/* A valid PKESK (new format, tag 1) and SEIPD v1 body for constructed cases. */
static const unsigned char pk_new[] = {0xc1, 0x04, 0x03, 0x01, 0x02, 0x03};
static const unsigned char pk_old[] = {0x84, 0x04, 0x03, 0x01, 0x02, 0x03};
static const unsigned char sk_new[] = {0xc3, 0x04, 0x04, 0x09, 0x03, 0x08};
static const unsigned char seipd1[] = {0xd2, 0x05, 0x01, 0xaa, 0xbb, 0xcc, 0xdd};

/* cat - concatenate up to four packet arrays into buf; returns the length. */
static size_t
cat(unsigned char *buf, const unsigned char *a, size_t an, const unsigned char *b, size_t bn,
        const unsigned char *c, size_t cn)
{
	memcpy(buf, a, an);
	memcpy(buf + an, b, bn);
	if (c != NULL)
		memcpy(buf + an + bn, c, cn);
	return an + bn + (c != NULL ? cn : 0);
}

static void
test_gate_packets(void **state)
{
	unsigned char buf[9000];
	size_t n;

	(void)state;
	n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1), NULL, 0);
	expect_packets("PKESK SEIPD", buf, n, GATE_PASS_ENCRYPTED);
	n = cat(buf, pk_old, sizeof(pk_old), seipd1, sizeof(seipd1), NULL, 0);
	expect_packets("old-format PKESK, new-format SEIPD", buf, n, GATE_PASS_ENCRYPTED);
	n = cat(buf, sk_new, sizeof(sk_new), pk_new, sizeof(pk_new), seipd1, sizeof(seipd1));
	expect_packets("SKESK PKESK SEIPD", buf, n, GATE_PASS_ENCRYPTED);
	expect_packets("SEIPD alone", seipd1, sizeof(seipd1), GATE_REJECT);
	expect_packets("PKESK alone", pk_new, sizeof(pk_new), GATE_REJECT);
	n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1), pk_new, sizeof(pk_new));
	expect_packets("packet after SEIPD", buf, n, GATE_REJECT);
	n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1), seipd1, sizeof(seipd1));
	expect_packets("two SEIPD", buf, n, GATE_REJECT);
	n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1), (const unsigned char *)"\0",
	        1);
	expect_packets("trailing octet", buf, n, GATE_REJECT);
	n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1) - 1, NULL, 0);
	expect_packets("truncated SEIPD", buf, n, GATE_REJECT);
	/* literal data (tag 11) and SED without integrity (tag 9) */
	{
		static const unsigned char lit[] = {0xcb, 0x03, 0x62, 0x00, 0x41};
		static const unsigned char sed[] = {0xc9, 0x02, 0x01, 0x02};

		n = cat(buf, pk_new, sizeof(pk_new), lit, sizeof(lit), NULL, 0);
		expect_packets("literal data", buf, n, GATE_REJECT);
		expect_packets("literal data alone", lit, sizeof(lit), GATE_REJECT);
		n = cat(buf, pk_new, sizeof(pk_new), sed, sizeof(sed), NULL, 0);
		expect_packets("SED without MDC", buf, n, GATE_REJECT);
	}
	/* SEIPD versions: 2 ok, 3 not */
	{
		unsigned char v2[sizeof(seipd1)], v3[sizeof(seipd1)];

		memcpy(v2, seipd1, sizeof(v2));
		v2[2] = 2;
		memcpy(v3, seipd1, sizeof(v3));
		v3[2] = 3;
		n = cat(buf, pk_new, sizeof(pk_new), v2, sizeof(v2), NULL, 0);
		expect_packets("SEIPD v2", buf, n, GATE_PASS_ENCRYPTED);
		n = cat(buf, pk_new, sizeof(pk_new), v3, sizeof(v3), NULL, 0);
		expect_packets("SEIPD v3", buf, n, GATE_REJECT);
	}
	{
		static const unsigned char empty[] = {0xd2, 0x00};

		n = cat(buf, pk_new, sizeof(pk_new), empty, sizeof(empty), NULL, 0);
		expect_packets("empty SEIPD", buf, n, GATE_REJECT);
	}
	{
		static const unsigned char bit7[] = {0x41, 0x01, 0x00};
		static const unsigned char indet[] = {0x87, 0x03, 0x01, 0x02};

		n = cat(buf, bit7, sizeof(bit7), seipd1, sizeof(seipd1), NULL, 0);
		expect_packets("bit 7 clear", buf, n, GATE_REJECT);
		n = cat(buf, indet, sizeof(indet), seipd1, sizeof(seipd1), NULL, 0);
		expect_packets("old-format indeterminate", buf, n, GATE_REJECT);
	}
}

static void
test_gate_packet_lengths(void **state)
{
	unsigned char buf[9000];
	size_t n = 0;

	(void)state;
	/* two-octet length (192..223): 300 octets */
	memcpy(buf, pk_new, sizeof(pk_new));
	n = sizeof(pk_new);
	buf[n++] = 0xd2;
	buf[n++] = (unsigned char)(((300 - 192) >> 8) + 192);
	buf[n++] = (unsigned char)((300 - 192) & 0xff);
	buf[n] = 1;
	memset(buf + n + 1, 0x55, 299);
	n += 300;
	expect_packets("two-octet length", buf, n, GATE_PASS_ENCRYPTED);
	/* five-octet length (255) */
	n = sizeof(pk_new);
	buf[n++] = 0xd2;
	buf[n++] = 255;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0x01;
	buf[n++] = 0x00;
	buf[n] = 1;
	n += 256;
	expect_packets("five-octet length", buf, n, GATE_PASS_ENCRYPTED);
	/* old-format 2-octet length PKESK */
	{
		static const unsigned char pk2[] = {0x85, 0x00, 0x02, 0x03, 0x01};

		n = cat(buf, pk2, sizeof(pk2), seipd1, sizeof(seipd1), NULL, 0);
		expect_packets("old-format two-octet", buf, n, GATE_PASS_ENCRYPTED);
	}
	/* partial lengths in the SEIPD: 512 + 512 + final 3 */
	memcpy(buf, pk_new, sizeof(pk_new));
	n = sizeof(pk_new);
	buf[n++] = 0xd2;
	buf[n++] = 0xe9; /* 1 << 9 */
	buf[n] = 1;
	n += 512;
	buf[n++] = 0xe9;
	n += 512;
	buf[n++] = 3;
	n += 3;
	expect_packets("partial SEIPD", buf, n, GATE_PASS_ENCRYPTED);
	expect_packets("partial SEIPD truncated", buf, n - 1, GATE_REJECT);
	/* a partial length in the PKESK is refused */
	{
		unsigned char p[600];
		size_t k = 0;

		p[k++] = 0xc1;
		p[k++] = 0xe9;
		memset(p + k, 3, 512);
		k += 512;
		p[k++] = 1;
		p[k++] = 3;
		memcpy(p + k, seipd1, sizeof(seipd1));
		k += sizeof(seipd1);
		expect_packets("partial PKESK", p, k, GATE_REJECT);
	}
}

/* armor_case - part 2 body text given literally. */
static void
armor_case(const char *what, const char *a, enum gate_verdict out, enum gate_verdict in)
{
	char *m = pgpmime(a);

	expect(what, m, out, in);
	free(m);
}

static void
test_gate_armor(void **state)
{
	unsigned char buf[64];
	size_t n = cat(buf, pk_new, sizeof(pk_new), seipd1, sizeof(seipd1), NULL, 0);
	char *data = b64(buf, n), *a;

	(void)state;
	data[strlen(data) - 1] = '\0'; /* without its final LF */
	assert_true(asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%s\n-----END PGP MESSAGE-----",
	                    data) >= 0);
	armor_case("no checksum", a, GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	free(a);
	assert_true(asprintf(&a,
	                    "-----BEGIN PGP MESSAGE-----\n\n\n\n%s\n=AbC+\n-----END PGP "
	                    "MESSAGE-----\n\n\n",
	                    data) >= 0);
	armor_case("blank lines, checksum", a, GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	free(a);
	assert_true(
	        asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%s\n=AbC\n-----END PGP MESSAGE-----\n",
	                data) >= 0);
	armor_case("short checksum", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%s!\n-----END PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("bad base64", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%s \n-----END PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("space in base64", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%sA\n-----END PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("bad padding", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "\n-----BEGIN PGP MESSAGE-----\n\n%s\n-----END PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("text before BEGIN", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "\n\n%s\n-----END PGP MESSAGE-----\n", data) >= 0);
	armor_case("missing BEGIN", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n%s\n", data) >= 0);
	armor_case("missing END", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(
	        asprintf(&a,
	                "-----BEGIN PGP MESSAGE-----\n\n%s\n-----END PGP MESSAGE-----\ntrailer\n",
	                data) >= 0);
	armor_case("text after END", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(
	        asprintf(&a, "-----BEGIN PGP SIGNATURE-----\n\n%s\n-----END PGP SIGNATURE-----\n",
	                data) >= 0);
	armor_case("signature armor", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(asprintf(&a,
	                    "-----BEGIN PGP MESSAGE-----\nVersion: X\nVersion: Y\n\n%s\n-----END "
	                    "PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("two Version headers", a, GATE_REJECT, GATE_PASS_ENCRYPTED);
	free(a);
	assert_true(asprintf(&a,
	                    "-----BEGIN PGP MESSAGE-----\nVersion: X\nHash: SHA256\n\n%s\n-----END "
	                    "PGP MESSAGE-----\n",
	                    data) >= 0);
	armor_case("Version and Hash", a, GATE_REJECT, GATE_REJECT);
	free(a);
	assert_true(
	        asprintf(&a, "-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n") >= 0);
	armor_case("empty armor", a, GATE_REJECT, GATE_REJECT);
	free(a);
	free(data);
}

/* structure - a PGP/MIME variant built from pieces. */
static void
structure_case(const char *what, const char *top, const char *p1, const char *p2, const char *extra)
{
	size_t len;
	char *a = fixture_read("gpg-pkesk.asc", &len), *m;

	m = mk("From: alice@example.org\nContent-Type: %s; boundary=\"B\"\n\n"
	       "--B\n%s\n--B\n%s\n%s\n%s--B--\n",
	        top, p1, p2, a, extra);
	expect(what, m, GATE_REJECT, GATE_REJECT);
	free(m);
	free(a);
}

static void
test_gate_structure(void **state)
{
	static const char v1[] = "Content-Type: application/pgp-encrypted\n\nVersion: 1\n";
	static const char os[] = "Content-Type: application/octet-stream\n";

	(void)state;
	structure_case("three parts", "multipart/encrypted", v1, os, "--B\n\nthird\n");
	structure_case("part 1 type", "multipart/encrypted",
	        "Content-Type: text/plain\n\nVersion: 1\n", os, "");
	structure_case("part 1 Version 2", "multipart/encrypted",
	        "Content-Type: application/pgp-encrypted\n\nVersion: 2\n", os, "");
	structure_case("part 1 empty", "multipart/encrypted",
	        "Content-Type: application/pgp-encrypted\n\n", os, "");
	structure_case("part 2 type", "multipart/encrypted", v1, "Content-Type: text/plain\n", "");
	structure_case("part 2 undecodable", "multipart/encrypted", v1,
	        "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-uue\n", "");
	structure_case("top multipart/signed", "multipart/signed", v1, os, "");
	structure_case("duplicate Content-Type", "multipart/encrypted", v1,
	        "Content-Type: application/octet-stream\nContent-Type: text/plain\n", "");
	{
		char *m = mk("From: a@b.c\nContent-Type: multipart/encrypted; boundary=B\n\n"
		             "--B\n%s\n--B--\n",
		        v1);

		expect("one part", m, GATE_REJECT, GATE_REJECT);
		free(m);
		m = mk("From: a@b.c\nContent-Type: multipart/encrypted; boundary=B\n\n"
		       "--B\n%s\n--B\nContent-Type: multipart/mixed; "
		       "boundary=C\n\n--C\n\nx\n--C--\n"
		       "--B--\n",
		        v1);
		expect("nested multipart", m, GATE_REJECT, GATE_REJECT);
		free(m);
		m = mk("From: a@b.c\nContent-Type: multipart/encrypted\n\n--B\n%s\n--B--\n", v1);
		expect("no boundary", m, GATE_REJECT, GATE_REJECT);
		free(m);
	}
}

static void
test_gate_transfer_encodings(void **state)
{
	size_t len;
	char *a = fixture_read("gpg-pkesk.asc", &len), *enc, *m;

	(void)state;
	a = fixture_crlf(a);
	enc = b64((const unsigned char *)a, strlen(a));
	m = mk("From: a@b.c\nContent-Type: multipart/encrypted; boundary=B\n\n"
	       "--B\nContent-Type: application/pgp-encrypted\nContent-Transfer-Encoding: 7bit\n\n"
	       "Version: 1\n--B\nContent-Type: application/octet-stream\n"
	       "Content-Transfer-Encoding: BASE64\n\n%s--B--\n",
	        enc);
	expect("base64 part 2", m, GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	free(m);
	m = mk("From: a@b.c\nContent-Type: multipart/encrypted; boundary=B\n\n"
	       "--B\nContent-Type: application/pgp-encrypted\n"
	       "Content-Transfer-Encoding: quoted-printable\n\nVersion:=201\n"
	       "--B\nContent-Type: application/octet-stream\n\n%s--B--\n",
	        a);
	expect("quoted-printable part 1", m, GATE_PASS_ENCRYPTED, GATE_PASS_ENCRYPTED);
	free(m);
	free(enc);
	free(a);
}

static void
test_gate_passthrough(void **state)
{
	size_t len;
	char *m = fixture_load("plain.eml", "alice@example.org", "bob@remote.example", &len);
	char s1[] = "Alice@Example.org", r1[] = "@remote.example", r2[] = "carol@other.example";
	char *senders[] = {s1}, *rcpts[] = {r1, r2};

	(void)state;
	env_pt_senders = senders;
	env_npt_senders = 1;
	expect("passthrough sender", m, GATE_PASS_PASSTHROUGH, GATE_REJECT);
	env_sender = "";
	expect("null sender never listed", m, GATE_REJECT, GATE_REJECT);
	env_sender = "other@example.org";
	expect("sender not listed", m, GATE_REJECT, GATE_REJECT);
	env_pt_rcpts = rcpts;
	env_npt_rcpts = 2;
	expect("recipient domain", m, GATE_PASS_PASSTHROUGH, GATE_REJECT);
	env_nrcpts = 2;
	env_rcpt_list[1] = "carol@other.example";
	expect("both recipients listed", m, GATE_PASS_PASSTHROUGH, GATE_REJECT);
	env_rcpt_list[1] = "dave@other.example";
	expect("one recipient not listed", m, GATE_REJECT, GATE_REJECT);
	env_nrcpts = 0;
	expect("no recipients", m, GATE_REJECT, GATE_REJECT);
	free(m);
}

static void
test_gate_mdn_and_selfmail(void **state)
{
	size_t len;
	char *m;

	(void)state;
	/* GATE-2: no exception for MDNs, self-addressed or local mail */
	m = fixture_load("mdn.eml", "alice@example.org", "alice@example.org", &len);
	env_rcpt_list[0] = "alice@example.org";
	expect("MDN to self", m, GATE_REJECT, GATE_REJECT);
	free(m);
	m = fixture_load("plain.eml", "alice@example.org", "alice@example.org", &len);
	expect("plain to self", m, GATE_REJECT, GATE_REJECT);
	free(m);
	/* an MDN in the shape of GATE-10 (multipart/report, Auto-Submitted, From
	 * mailer-daemon@) is a bounce by the letter of the rule */
	m = fixture_load("mdn.eml", "mailer-daemon@remote.example", "alice@example.org", &len);
	expect("MDN from a mailer-daemon", m, GATE_REJECT, GATE_PASS_BOUNCE);
	free(m);
}

/* Every prefix of a valid message is rejected and nothing crashes (ASan). */
static void
test_gate_every_prefix(void **state)
{
	size_t len;
	char *m = fixture_load("encrypted.eml", "alice@example.org", "bob@remote.example", &len);
	char *close = strstr(m, "--YFrteb74qSXmggbOxZL9dRnhymywAi--");
	size_t must_reject = (size_t)(close - m) + 34;

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		char *p = malloc(n + 1);
		enum gate_verdict v;

		assert_non_null(p);
		memcpy(p, m, n);
		v = verdict_n(p, n, IN, NULL);
		if (n < must_reject)
			assert_int_equal(v, GATE_REJECT);
		else
			assert_int_equal(v, GATE_PASS_ENCRYPTED);
		free(p);
	}
	free(m);
}

static void
test_gate_reply(void **state)
{
	(void)state;
	assert_string_equal(
	        GATE_REPLY_REJECT, "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail");
	assert_non_null(strcasestr(GATE_REPLY_REJECT, "invalid unencrypted mail"));
	assert_string_equal(gate_verdict_name(GATE_REJECT), "reject");
	assert_int_equal(verdict("", OUT), GATE_REJECT);
	assert_int_equal(verdict("\r\n", IN), GATE_REJECT);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset_env)
	const struct CMUnitTest tests[] = {
	        T(test_gate_fixtures),
	        T(test_gate_fixture_lf),
	        T(test_gate_asm),
	        T(test_gate_bounce),
	        T(test_gate_securejoin),
	        T(test_gate_securejoin_shapes),
	        T(test_gate_gpg),
	        T(test_gate_armor_in_text),
	        T(test_gate_packets),
	        T(test_gate_packet_lengths),
	        T(test_gate_armor),
	        T(test_gate_structure),
	        T(test_gate_transfer_encodings),
	        T(test_gate_passthrough),
	        T(test_gate_mdn_and_selfmail),
	        T(test_gate_every_prefix),
	        T(test_gate_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
