/*
 * store_index.c - the per-mailbox index file "chatrelay-index" (STORE-6).
 *
 * Responsible for the in-memory index and its durable, checksummed file.
 * Does not read or rename message files (store_maildir.c does) and takes
 * no locks (the mailbox does).
 *
 * Format, version 1 (all integers little-endian):
 *
 *   file   = magic "CRIDX001" transaction*
 *   txn    = u32 0x58544352 ("CRTX") | u32 len | u64 txn_no | record*(len octets)
 *            | u32 crc32(of everything from the magic to the last record)
 *   record = u8 type | u16 len | len octets
 *     'S' u32 uidvalidity, u32 uidnext, u64 highestmodseq   (ends every txn)
 *     'K' u8 bit, name                                        keyword table entry
 *     'M' u32 uid, u32 flags, u64 keywords, u64 modseq, u64 size, i64 internaldate,
 *         name                                                insert or replace
 *     'X' u32 uid                                             expunge
 *
 * A transaction is applied completely or not at all, so a crash leaves the
 * old or the new state (STORE-6). Commits append one transaction and flush
 * it (one fdatasync per group commit). A checkpoint rewrites the whole file
 * as one transaction (path.tmp, flush, rename, flush directory) when the
 * file is new, after repair, or when the log has grown past
 * STORE_INDEX_LOG_MIN and twice the live size.
 *
 * Loading: a final transaction that is cut short or filled with zeros (a
 * crash while appending, before the flush returned, so nothing in it was
 * revealed) is dropped and the next commit checkpoints. Any other damage
 * (bad magic, checksum error with data after it, impossible values) is
 * corruption: EBADMSG, and the caller rebuilds from the maildir.
 */
#include "store/store_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_fs.h"

#define STORE_INDEX_MAGIC "CRIDX001"
#define STORE_INDEX_MAGIC_LEN 8
#define STORE_TXN_MAGIC 0x58544352u
#define STORE_TXN_HEAD 16
#define STORE_REC_M_FIXED 44

/* ---- little-endian helpers ---- */

static void
store_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
store_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
store_get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
store_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * store_crc32 - CRC-32 (IEEE 802.3, reflected 0xEDB88320; the same values as
 * zlib's crc32()), bitwise: indexes are small and this keeps the parser free
 * of library dependencies for the fuzzer.
 */
static uint32_t
store_crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n-- > 0) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

void
store_index_init(struct store_index *idx)
{
	memset(idx, 0, sizeof(*idx));
}

void
store_index_reset(struct store_index *idx)
{
	for (size_t i = 0; i < idx->count; i++)
		free(idx->entries[i].name);
	for (size_t i = 0; i < idx->keyword_count; i++)
		free(idx->keywords[i]);
	free(idx->entries);
	free(idx->txn);
	store_index_init(idx);
}

void
store_index_create(struct store_index *idx, uint32_t uidvalidity, uint64_t modseq)
{
	store_index_reset(idx);
	idx->uidvalidity = uidvalidity != 0 ? uidvalidity : 1;
	idx->uidnext = 1;
	idx->highestmodseq = modseq;
	idx->needs_checkpoint = true;
}

void
store_index_bump_floor(struct store_index *idx, uint64_t floor)
{
	if (idx->highestmodseq < floor)
		idx->highestmodseq = floor;
}

bool
store_index_has_pending(const struct store_index *idx)
{
	return idx->txn_len > 0 || idx->needs_checkpoint;
}

long
store_index_find(const struct store_index *idx, uint32_t uid)
{
	size_t lo = 0, hi = idx->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx->entries[mid].uid == uid)
			return (long)mid;
		if (idx->entries[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- building records ---- */

/* store_index_rec - reserve a record of type and len in the open transaction. */
static unsigned char *
store_index_rec(struct store_index *idx, char type, size_t len)
{
	size_t need = idx->txn_len + 3 + len;

	if (len > 0xffff) {
		errno = EINVAL;
		return NULL;
	}
	if (need > idx->txn_cap) {
		size_t cap = idx->txn_cap ? idx->txn_cap : 256;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(idx->txn, cap);
		if (p == NULL)
			return NULL;
		idx->txn = p;
		idx->txn_cap = cap;
	}
	unsigned char *r = idx->txn + idx->txn_len;

	r[0] = (unsigned char)type;
	r[1] = (unsigned char)(len & 0xff);
	r[2] = (unsigned char)(len >> 8);
	idx->txn_len = need;
	return r + 3;
}

static int
store_index_rec_msg(struct store_index *idx, const struct store_index_entry *e)
{
	size_t nl = strlen(e->name);
	unsigned char *p = store_index_rec(idx, 'M', STORE_REC_M_FIXED + nl);

	if (p == NULL)
		return -1;
	store_put32(p, e->uid);
	store_put32(p + 4, e->flags);
	store_put64(p + 8, e->keywords);
	store_put64(p + 16, e->modseq);
	store_put64(p + 24, e->size);
	store_put64(p + 32, (uint64_t)e->internaldate);
	/* 4 spare octets for future per-message fields */
	store_put32(p + 40, 0);
	memcpy(p + STORE_REC_M_FIXED, e->name, nl);
	return 0;
}

static int
store_index_rec_keyword(struct store_index *idx, size_t bit)
{
	size_t nl = strlen(idx->keywords[bit]);
	unsigned char *p = store_index_rec(idx, 'K', 1 + nl);

	if (p == NULL)
		return -1;
	p[0] = (unsigned char)bit;
	memcpy(p + 1, idx->keywords[bit], nl);
	return 0;
}

static int
store_index_rec_state(struct store_index *idx)
{
	unsigned char *p = store_index_rec(idx, 'S', 16);

	if (p == NULL)
		return -1;
	store_put32(p, idx->uidvalidity);
	store_put32(p + 4, idx->uidnext);
	store_put64(p + 8, idx->highestmodseq);
	return 0;
}

/* ---- in-memory mutations ---- */

static int
store_index_grow(struct store_index *idx)
{
	if (idx->count < idx->cap)
		return 0;
	size_t cap = idx->cap ? idx->cap * 2 : 64;
	struct store_index_entry *e = realloc(idx->entries, cap * sizeof(*e));

	if (e == NULL)
		return -1;
	idx->entries = e;
	idx->cap = cap;
	return 0;
}

int
store_index_add(struct store_index *idx, uint32_t flags, uint64_t keywords, uint64_t size,
        int64_t internaldate, const char *name, uint32_t *uid_r)
{
	struct store_index_entry *e;

	if (idx->uidnext == UINT32_MAX) {
		errno = EOVERFLOW; /* RFC 3501: UIDs are 32-bit; a new UIDVALIDITY is needed */
		return -1;
	}
	if (store_index_grow(idx) < 0)
		return -1;
	e = &idx->entries[idx->count];
	e->name = strdup(name);
	if (e->name == NULL)
		return -1;
	e->uid = idx->uidnext++;
	e->flags = flags;
	e->keywords = keywords;
	e->modseq = ++idx->highestmodseq;
	e->size = size;
	e->internaldate = internaldate;
	idx->count++;
	if (uid_r != NULL)
		*uid_r = e->uid;
	return store_index_rec_msg(idx, e);
}

int
store_index_update(struct store_index *idx, size_t i, uint32_t flags, uint64_t keywords,
        const char *name, bool bump)
{
	struct store_index_entry *e = &idx->entries[i];

	if (name != NULL && strcmp(name, e->name) != 0) {
		char *n = strdup(name);

		if (n == NULL)
			return -1;
		free(e->name);
		e->name = n;
	}
	e->flags = flags;
	e->keywords = keywords;
	if (bump)
		e->modseq = ++idx->highestmodseq;
	return store_index_rec_msg(idx, e);
}

int
store_index_remove(struct store_index *idx, size_t i)
{
	uint32_t uid = idx->entries[i].uid;
	unsigned char *p;

	free(idx->entries[i].name);
	memmove(&idx->entries[i], &idx->entries[i + 1],
	        (idx->count - i - 1) * sizeof(idx->entries[0]));
	idx->count--;
	idx->highestmodseq++; /* an expunge is a change (IMAP-47) */
	p = store_index_rec(idx, 'X', 4);
	if (p == NULL)
		return -1;
	store_put32(p, uid);
	return 0;
}

int
store_index_keyword(struct store_index *idx, const char *name, bool add)
{
	for (size_t i = 0; i < idx->keyword_count; i++)
		if (strcasecmp(idx->keywords[i], name) == 0)
			return (int)i;
	if (!add || idx->keyword_count >= STORE_KEYWORDS_MAX ||
	        strlen(name) > STORE_KEYWORD_LEN_MAX) {
		errno = add ? EINVAL : ENOENT;
		return -1;
	}
	idx->keywords[idx->keyword_count] = strdup(name);
	if (idx->keywords[idx->keyword_count] == NULL)
		return -1;
	idx->keyword_count++;
	if (store_index_rec_keyword(idx, idx->keyword_count - 1) < 0)
		return -1;
	return (int)idx->keyword_count - 1;
}

/* ---- loading ---- */

/* store_index_insert - place a replayed entry by uid (replace if present). */
static int
store_index_insert(struct store_index *idx, const struct store_index_entry *in)
{
	long at = store_index_find(idx, in->uid);
	size_t pos;

	if (at >= 0) {
		free(idx->entries[at].name);
		idx->entries[at] = *in;
		return 0;
	}
	if (store_index_grow(idx) < 0)
		return -1;
	pos = idx->count;
	while (pos > 0 && idx->entries[pos - 1].uid > in->uid)
		pos--;
	memmove(&idx->entries[pos + 1], &idx->entries[pos],
	        (idx->count - pos) * sizeof(idx->entries[0]));
	idx->entries[pos] = *in;
	idx->count++;
	return 0;
}

static bool
store_index_name_ok(const unsigned char *p, size_t n)
{
	if (n == 0 || n > STORE_FILENAME_MAX || p[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/' || p[i] == '\0')
			return false;
	return true;
}

static int
store_index_apply_msg(struct store_index *idx, const unsigned char *p, size_t len)
{
	struct store_index_entry e;

	if (len <= STORE_REC_M_FIXED ||
	        !store_index_name_ok(p + STORE_REC_M_FIXED, len - STORE_REC_M_FIXED))
		return -1;
	e.uid = store_get32(p);
	e.flags = store_get32(p + 4);
	e.keywords = store_get64(p + 8);
	e.modseq = store_get64(p + 16);
	e.size = store_get64(p + 24);
	e.internaldate = (int64_t)store_get64(p + 32);
	if (e.uid == 0)
		return -1;
	e.name = strndup((const char *)p + STORE_REC_M_FIXED, len - STORE_REC_M_FIXED);
	if (e.name == NULL || store_index_insert(idx, &e) < 0) {
		free(e.name);
		return -1;
	}
	return 0;
}

static int
store_index_apply_keyword(struct store_index *idx, const unsigned char *p, size_t len)
{
	size_t bit = p[0];
	char *name;

	if (len < 2 || bit > idx->keyword_count || bit >= STORE_KEYWORDS_MAX)
		return -1;
	name = strndup((const char *)p + 1, len - 1);
	if (name == NULL)
		return -1;
	if (bit == idx->keyword_count)
		idx->keyword_count++;
	else
		free(idx->keywords[bit]);
	idx->keywords[bit] = name;
	return 0;
}

/* store_index_apply - replay the records of one verified transaction. */
static int
store_index_apply(struct store_index *idx, const unsigned char *p, size_t len, uint64_t *seen)
{
	while (len > 0) {
		size_t rl;
		long at;

		if (len < 3 || (rl = (size_t)p[1] | ((size_t)p[2] << 8)) > len - 3)
			return -1;
		const unsigned char *r = p + 3;

		switch (p[0]) {
		case 'S':
			if (rl != 16)
				return -1;
			idx->uidvalidity = store_get32(r);
			idx->uidnext = store_get32(r + 4);
			idx->highestmodseq = store_get64(r + 8);
			if (idx->highestmodseq > *seen)
				*seen = idx->highestmodseq;
			break;
		case 'K':
			if (store_index_apply_keyword(idx, r, rl) < 0)
				return -1;
			break;
		case 'M':
			if (store_index_apply_msg(idx, r, rl) < 0)
				return -1;
			break;
		case 'X':
			if (rl != 4 || (at = store_index_find(idx, store_get32(r))) < 0)
				return -1;
			free(idx->entries[at].name);
			memmove(&idx->entries[at], &idx->entries[at + 1],
			        (idx->count - (size_t)at - 1) * sizeof(idx->entries[0]));
			idx->count--;
			break;
		default: return -1;
		}
		p += 3 + rl;
		len -= 3 + rl;
	}
	return 0;
}

static bool
store_index_all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* store_index_validate - the invariants every loaded index must satisfy. */
static int
store_index_validate(const struct store_index *idx)
{
	/* RFC 7162: mod-sequences are 63-bit; a larger one cannot have been written by us. */
	if (idx->uidvalidity == 0 || idx->uidnext == 0 || idx->highestmodseq >= (1ull << 62))
		return -1;
	for (size_t i = 0; i < idx->count; i++) {
		const struct store_index_entry *e = &idx->entries[i];

		if (e->uid >= idx->uidnext || e->modseq > idx->highestmodseq ||
		        (idx->keyword_count < 64 && (e->keywords >> idx->keyword_count) != 0))
			return -1;
	}
	return 0;
}

/* store_index_parse - walk the transactions of a whole file image. */
int
store_index_parse(struct store_index *idx, const unsigned char *buf, size_t size, uint64_t *seen)
{
	size_t pos = STORE_INDEX_MAGIC_LEN;

	if (size < STORE_INDEX_MAGIC_LEN ||
	        memcmp(buf, STORE_INDEX_MAGIC, STORE_INDEX_MAGIC_LEN) != 0)
		return -1;
	while (pos < size) {
		size_t remain = size - pos, total;
		const unsigned char *t = buf + pos;
		uint64_t no;

		if (remain < STORE_TXN_HEAD || store_get32(t) != STORE_TXN_MAGIC) {
			if (remain < STORE_TXN_HEAD || store_index_all_zero(t, remain))
				break; /* torn tail */
			return -1;
		}
		total = STORE_TXN_HEAD + (size_t)store_get32(t + 4) + 4;
		if (total > remain)
			break; /* cut short: torn tail */
		if (store_crc32(t, total - 4) != store_get32(t + total - 4)) {
			if (pos + total == size)
				break; /* the last transaction was being written */
			return -1;
		}
		no = store_get64(t + 8);
		if (no <= idx->txn_no && idx->txn_no != 0)
			return -1;
		if (store_index_apply(idx, t + STORE_TXN_HEAD, total - STORE_TXN_HEAD - 4, seen) <
		        0)
			return -1;
		idx->txn_no = no;
		if (pos == STORE_INDEX_MAGIC_LEN)
			idx->checkpoint_size = total + STORE_INDEX_MAGIC_LEN;
		pos += total;
	}
	if (pos < size)
		idx->needs_checkpoint = true;
	idx->file_size = pos;
	return store_index_validate(idx);
}

static int
store_index_read_file(const char *path, unsigned char **buf_r, size_t *size_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	unsigned char *buf;
	size_t got = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	if (sb.st_size > (off_t)STORE_INDEX_FILE_MAX) {
		close(fd);
		errno = EBADMSG;
		return -1;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);

		if (r <= 0) {
			if (r == 0)
				break;
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*buf_r = buf;
	*size_r = got;
	return 0;
}

int
store_index_load(struct store_index *idx, const char *path, uint64_t *salvage_r)
{
	unsigned char *buf;
	size_t size;
	uint64_t seen = 0;

	store_index_reset(idx);
	if (store_index_read_file(path, &buf, &size) < 0)
		return -1;
	if (store_index_parse(idx, buf, size, &seen) < 0) {
		free(buf);
		store_index_reset(idx);
		if (salvage_r != NULL)
			*salvage_r = seen;
		errno = EBADMSG;
		return -1;
	}
	free(buf);
	return 0;
}

/* ---- committing ---- */

/* store_index_frame - header + records + crc of the pending transaction, malloc'd. */
static unsigned char *
store_index_frame(struct store_index *idx, size_t prefix, size_t *len_r)
{
	size_t total = prefix + STORE_TXN_HEAD + idx->txn_len + 4;
	unsigned char *b = malloc(total), *t;

	if (b == NULL)
		return NULL;
	memcpy(b, STORE_INDEX_MAGIC, prefix);
	t = b + prefix;
	store_put32(t, STORE_TXN_MAGIC);
	store_put32(t + 4, (uint32_t)idx->txn_len);
	store_put64(t + 8, idx->txn_no + 1);
	memcpy(t + STORE_TXN_HEAD, idx->txn, idx->txn_len);
	store_put32(
	        t + STORE_TXN_HEAD + idx->txn_len, store_crc32(t, STORE_TXN_HEAD + idx->txn_len));
	*len_r = total;
	return b;
}

/* store_index_checkpoint - rewrite the whole state as one transaction, atomically. */
static int
store_index_checkpoint(struct store_index *idx, const char *path, const char *dir, bool do_fsync)
{
	char tmp[4096];
	unsigned char *b;
	size_t len;
	int fd, rc = -1;

	idx->txn_len = 0;
	for (size_t i = 0; i < idx->keyword_count; i++)
		if (store_index_rec_keyword(idx, i) < 0)
			return -1;
	for (size_t i = 0; i < idx->count; i++)
		if (store_index_rec_msg(idx, &idx->entries[i]) < 0)
			return -1;
	if (store_index_rec_state(idx) < 0 ||
	        (b = store_index_frame(idx, STORE_INDEX_MAGIC_LEN, &len)) == NULL)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && fs_write_all(fd, b, len) == 0 && (!do_fsync || fdatasync(fd) == 0))
		rc = 0;
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc == 0 && (rename(tmp, path) < 0 || (do_fsync && fs_fsync_dir(dir) < 0)))
		rc = -1;
	free(b);
	if (rc < 0) {
		unlink(tmp);
		return -1;
	}
	idx->txn_no++;
	idx->txn_len = 0;
	idx->file_size = len;
	idx->checkpoint_size = len;
	idx->needs_checkpoint = false;
	return 0;
}

/* store_index_append_txn - append the pending transaction and flush it. */
static int
store_index_append_txn(struct store_index *idx, const char *path, bool do_fsync)
{
	unsigned char *b;
	size_t len;
	int fd, rc = -1;

	if (store_index_rec_state(idx) < 0 || (b = store_index_frame(idx, 0, &len)) == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (fs_write_all(fd, b, len) == 0 && (!do_fsync || fdatasync(fd) == 0))
			rc = 0;
		else if (ftruncate(fd, (off_t)idx->file_size) < 0)
			rc = -1; /* the torn tail is dropped at the next load anyway */
		close(fd);
	}
	free(b);
	if (rc < 0)
		return -1;
	idx->txn_no++;
	idx->txn_len = 0;
	idx->file_size += len;
	return 0;
}

int
store_index_commit(struct store_index *idx, const char *path, const char *dir, bool do_fsync)
{
	int rc;

	if (!store_index_has_pending(idx))
		return 0;
	if (idx->file_size > STORE_INDEX_LOG_MIN && idx->file_size > 2 * idx->checkpoint_size)
		idx->needs_checkpoint = true;
	if (idx->needs_checkpoint)
		rc = store_index_checkpoint(idx, path, dir, do_fsync);
	else
		rc = store_index_append_txn(idx, path, do_fsync);
	if (rc < 0) {
		int saved = errno;

		idx->is_broken = true;
		errno = saved;
	}
	return rc;
}
