/*
 * auth_register.c - account creation for POST /new (REG-1..4): a random
 * name of username_max_length characters from [a-z0-9] and a random
 * password from [A-Za-z0-9], both from the OpenSSL CSPRNG; creation is
 * create-if-absent, so /new never takes over an existing name. Hashing,
 * SQLite and the maildir run on a worker; the per-client rate limit (GCRA)
 * runs on the loop.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_address.h"
#include "auth/auth_hash.h"
#include "auth/auth_internal.h"
#include "auth/auth_map.h"
#include "auth/auth_sys.h"
#include "core/core_conf.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "db/db.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "store/store.h"

/* REG-2: candidates tried before giving up. */
#define AUTH_REGISTER_TRIES 10
/* REG-3: shortest generated password. */
#define AUTH_REGISTER_PASSWORD_MIN 24

struct auth_reg_job {
	struct auth *a; /* borrowed */
	auth_register_done_fn *cb;
	int status;
	char address[ADDRESS_MAX];
	char password[AUTH_PASSWORD_MAX + 1];
};

/* auth_random_string - n characters drawn uniformly from alphabet (rejection sampling). */
static int
auth_random_string(char *out, size_t n, const char *alphabet)
{
	size_t alen = strlen(alphabet), limit = 256 - 256 % alen, i = 0;
	unsigned char buf[64];

	while (i < n) {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			return -1;
		for (size_t k = 0; k < sizeof(buf) && i < n; k++)
			if (buf[k] < limit)
				out[i++] = alphabet[buf[k] % alen];
	}
	out[n] = '\0';
	return 0;
}

/* auth_register_try - worker: one candidate. 0 created, 1 skip, -1 error. */
static int
auth_register_try(struct auth_reg_job *j, const char *hash, const char *day)
{
	const struct conf *conf = j->a->conf;
	char local[ADDRESS_MAX];
	size_t n = (size_t)conf->username_max_length;
	int r;

	if (n >= sizeof(local) ||
	        auth_random_string(local, n, "abcdefghijklmnopqrstuvwxyz0123456789") < 0)
		return -1;
	snprintf(j->address, sizeof(j->address), "%s@%s", local, conf->mail_domain);
	if (auth_local_part_is_reserved(local, &conf->reserved_local_parts) ||
	        !auth_local_part_is_valid(local) ||
	        auth_is_blocklisted(&conf->sender_blocklist, j->address))
		return 1;
	r = db_block_has(j->a->db, j->address);
	if (r == 0)
		r = db_block_has(j->a->db, conf->mail_domain);
	if (r != 0)
		return r < 0 ? -1 : 1;
	r = db_account_create(j->a->db, j->address, hash, day);
	if (r != 0)
		return r;
	if (auth_store(j->a) == NULL || store_account_create(auth_store(j->a), j->address) < 0) {
		log_error("register: cannot create a maildir");
		(void)db_account_delete(j->a->db, j->address);
		return -1;
	}
	return 0;
}

static void
auth_register_work(void *arg)
{
	struct auth_reg_job *j = arg;
	const struct conf *conf = j->a->conf;
	char hash[AUTH_HASH_MAX], day[11];
	const char *why;

	j->status = 500;
	if (auth_resources_ok(conf, &why) < 0) {
		log_warn("register: account creation refused: %s", why);
		j->status = 503;
		return;
	}
	if (auth_generate_password(conf, j->password, sizeof(j->password)) < 0 ||
	        auth_hash_make(j->password, hash, sizeof(hash)) < 0)
		return;
	db_today(day);
	for (int i = 0; i < AUTH_REGISTER_TRIES; i++) {
		int r = auth_register_try(j, hash, day);

		if (r == 0) {
			j->status = 200;
			return;
		}
		if (r < 0)
			return;
	}
	log_warn("register: no free name found");
}

int
auth_generate_password(const struct conf *conf, char *out, size_t outlen)
{
	size_t n = conf->password_min_length > AUTH_REGISTER_PASSWORD_MIN
	        ? (size_t)conf->password_min_length
	        : AUTH_REGISTER_PASSWORD_MIN;

	if (n >= outlen)
		return -1;
	return auth_random_string(
	        out, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

static void
auth_register_done(void *arg, uint64_t requester_id)
{
	struct auth_reg_job *j = arg;
	struct conn *c = conn_lookup(j->a->srv, requester_id);

	if (j->status == 200) {
		j->a->stats.registered++;
		j->a->stats.accounts++;
	}
	if (c != NULL)
		j->cb(c, j->status, j->status == 200 ? j->address : NULL,
		        j->status == 200 ? j->password : NULL);
	str_wipe(j->password, sizeof(j->password));
	free(j);
}

int
auth_register(struct auth *a, struct conn *c, auth_register_done_fn *cb)
{
	struct auth_reg_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -1;
	j->a = a;
	j->cb = cb;
	if (worker_submit(a->srv->workers, c->id, auth_register_work, auth_register_done, j) < 0) {
		free(j);
		return -1;
	}
	return 0;
}

bool
auth_register_admit(struct auth *a, const char *ip_key)
{
	int64_t now = auth_now(a), t, burst, *tat;

	if (a->conf->new_account_rate <= 0)
		return false;
	t = 1000 / a->conf->new_account_rate;
	burst = a->conf->new_account_burst > 0 ? a->conf->new_account_burst : 1;
	tat = auth_map_get(a->reg_tat, ip_key);
	if (tat == NULL) {
		tat = malloc(sizeof(*tat));
		if (tat == NULL || auth_map_put(a->reg_tat, ip_key, tat) < 0) {
			free(tat);
			return true;
		}
		*tat = now;
	}
	/* GCRA: refuse when the theoretical arrival time runs more than (B-1)*T ahead. */
	if (*tat - now > (burst - 1) * t)
		return false;
	*tat = (*tat > now ? *tat : now) + t;
	return true;
}
