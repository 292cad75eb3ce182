/* fuzz-sources: src/store/store_index.c src/core/core_fs.c */
/*
 * fuzz_store_index.c - libFuzzer target for the mailbox index loader
 * (STORE-6): any file content either loads into an index that satisfies
 * the invariants (ascending UIDs below UIDNEXT, modseqs at most
 * HIGHESTMODSEQ, keyword bits inside the table) or is rejected as corrupt;
 * never a crash, leak or overflow. A loaded index must then accept the
 * mutations a mailbox performs. Inputs whose first octet is odd get their
 * transaction checksums fixed up first, so the fuzzer reaches the record
 * parser instead of stopping at the checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_index.h"

static void
fuzz_check(const struct store_index *idx)
{
	if (idx->uidvalidity == 0)
		abort();
	for (size_t i = 0; i < idx->count; i++) {
		const struct store_index_entry *e = &idx->entries[i];

		if (e->uid == 0 || e->uid >= idx->uidnext || e->modseq > idx->highestmodseq ||
		        (i > 0 && idx->entries[i - 1].uid >= e->uid) || e->name == NULL)
			abort();
		if (idx->keyword_count < 64 && (e->keywords >> idx->keyword_count) != 0)
			abort();
	}
}

static uint32_t
fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t
fuzz_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n-- > 0) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

/* fuzz_fix_crcs - give every complete transaction a valid checksum. */
static void
fuzz_fix_crcs(uint8_t *b, size_t size)
{
	size_t pos = 8;

	while (pos + 16 <= size && fuzz_get32(b + pos) == 0x58544352u) {
		size_t total = 16 + (size_t)fuzz_get32(b + pos + 4) + 4;
		uint32_t c;

		if (total > size - pos)
			return;
		c = fuzz_crc32(b + pos, total - 4);
		for (int i = 0; i < 4; i++)
			b[pos + total - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
		pos += total;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_index idx;
	uint64_t seen = 0;

	uint8_t *buf;

	if (size < 1 || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fuzz_fix_crcs(buf, size - 1);
	store_index_init(&idx);
	if (store_index_parse(&idx, buf, size - 1, &seen) == 0) {
		uint32_t uid;

		fuzz_check(&idx);
		if (idx.uidnext < UINT32_MAX &&
		        store_index_add(&idx, 1, 0, 10, 0, "x.host", &uid) == 0)
			fuzz_check(&idx);
		if (idx.count > 0 && store_index_update(&idx, 0, 8, 0, "y.host:2,S", true) == 0 &&
		        store_index_remove(&idx, idx.count - 1) == 0)
			fuzz_check(&idx);
		(void)store_index_keyword(&idx, "$Label", true);
	}
	store_index_reset(&idx);
	free(buf);
	return 0;
}
