/* fuzz-sources: src/auth/auth_address.c src/auth/auth_sasl.c src/policy/policy_address.c src/mail/mail_codec.c src/core/core_str.c */
/*
 * fuzz_auth_address.c - libFuzzer target for login-name normalisation
 * (ACC-1..3) and the SASL PLAIN / base64 decoders (AUTH-1).
 *
 * Checks what the code promises besides not crashing: a normalised address
 * has one '@', no upper case, and normalises to itself; a base64 text that
 * decodes encodes back to the same text; a split PLAIN message points into
 * the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_address.h"
#include "auth/auth_sasl.h"
#include "mail/mail_codec.h"
#include "policy/policy_address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_auth_normalise(const char *text)
{
	char out[ADDRESS_MAX], again[ADDRESS_MAX], local[ADDRESS_MAX];
	const char *at;

	if (policy_address_normalise_login(text, out, sizeof(out)) < 0)
		return;
	at = strchr(out, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL || at == out)
		__builtin_trap();
	for (const char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			__builtin_trap();
	if (policy_address_normalise_login(out, again, sizeof(again)) < 0 ||
	        strcmp(out, again) != 0)
		__builtin_trap();
	if (auth_address_local_part(out, local, sizeof(local)) < 0)
		__builtin_trap();
	(void)auth_local_part_is_valid(local);
	(void)auth_local_part_is_reserved(local, NULL);
	if (auth_address_normalise_local(text, policy_address_domain(out), again, sizeof(again)) <
	                0 ||
	        strcmp(out, again) != 0)
		__builtin_trap();
}

static void
fuzz_auth_sasl(const char *text)
{
	unsigned char dec[4096];
	char enc[8192];
	const char *z, *c, *p;
	size_t len, plen;
	struct auth_sasl_plain cr;

	if (auth_sasl_decode(text, dec, sizeof(dec), &len) < 0)
		return;
	/* MAIL_B64_STRICT accepts only the canonical encoding */
	if (mail_base64_encode(dec, len, enc, sizeof(enc)) < 0 || strcmp(enc, text) != 0)
		__builtin_trap();
	if (auth_sasl_plain_split((char *)dec, len, &z, &c, &p, &plen) == 0) {
		if (c < (char *)dec || p + plen != (char *)dec + len || *c == '\0' || plen == 0)
			__builtin_trap();
		(void)auth_sasl_authz_ok(z, c);
	}
	if (auth_sasl_plain(text, dec, sizeof(dec), &len, &cr) == 0 &&
	        (cr.password_len == 0 || cr.password + cr.password_len != (char *)dec + len))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_auth_normalise(text);
	fuzz_auth_sasl(text);
	free(text);
	return 0;
}
