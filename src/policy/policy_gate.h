/*
 * policy_gate.h - the encryption gate (SPEC section 10, GATE-1..12). PURE.
 *
 * A pure function of (message octets, direction, envelope sender,
 * envelope recipients, passthrough lists): no I/O, no configuration
 * object, no logging. The session calls it after the end of DATA and
 * sends GATE_REPLY_REJECT on a rejection.
 */
#ifndef CHATRELAY_POLICY_GATE_H
#define CHATRELAY_POLICY_GATE_H

#include <stdbool.h>
#include <stddef.h>

/* GATE-11: Delta Chat matches "invalid unencrypted mail" case-insensitively. */
#define GATE_REPLY_REJECT "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail"

/* The reason given when memory ran out (gate_check() then returns -1). */
#define GATE_WHY_OOM "out of memory"

enum gate_direction {
	GATE_OUTGOING, /* submission listeners (GATE-1) */
	GATE_INCOMING, /* smtp listener and /mxdeliv */
};

enum gate_verdict {
	GATE_REJECT,
	GATE_PASS_ENCRYPTED,   /* GATE-4..6 */
	GATE_PASS_SECUREJOIN,  /* GATE-7 */
	GATE_PASS_SETUP,       /* GATE-8 Autocrypt Setup Message */
	GATE_PASS_PASSTHROUGH, /* GATE-9 */
	GATE_PASS_BOUNCE,      /* GATE-10 */
};

struct gate_envelope {
	const char *sender;       /* borrowed; "" for the null sender */
	const char *const *rcpts; /* borrowed array of nrcpts addresses */
	size_t nrcpts;
	char *const *passthrough_senders; /* borrowed (conf_list words) */
	size_t npassthrough_senders;
	char *const *passthrough_recipients; /* borrowed; entries "addr" or "@domain" */
	size_t npassthrough_recipients;
};

/*
 * gate_check - decide on msg[0..len) (CRLF line ends; bare LF tolerated).
 * Stores the verdict in *verdict_r and, for GATE_REJECT, a short reason
 * for debug logs in *why_r (static text, no personal data). Returns 0, or
 * -1 when out of memory (the session answers 451, nothing is stored).
 * Does not block; cost is linear in len (bounded MIME depth).
 */
int gate_check(const char *msg, size_t len, enum gate_direction dir,
        const struct gate_envelope *env, enum gate_verdict *verdict_r, const char **why_r);

/* gate_verdict_name - short name for logs ("reject", "encrypted", ...). */
const char *gate_verdict_name(enum gate_verdict v);

/*
 * gate_armor_check - GATE-5 and GATE-6 on the decoded body of part 2.
 * Returns true when it is an acceptable OpenPGP message; otherwise false
 * with a reason in *why_r. Exposed for unit tests and the fuzzer.
 */
bool gate_armor_check(const char *body, size_t len, enum gate_direction dir, const char **why_r);

/* gate_packets_check - GATE-6 on decoded OpenPGP octets; false with *why_r. */
bool gate_packets_check(const unsigned char *p, size_t len, const char **why_r);

#endif
