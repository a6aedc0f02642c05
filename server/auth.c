/*
 * auth.c — API keys (PROTOCOL.md §6.5).
 *
 * Keys are never stored in clear: the conf file and the keys file hold the
 * lower-case hex SHA-256 of each key with its principal and role
 * ("<hash> <principal> <admin|user>"); `nmemd --hash-key KEY` prints the
 * hash. A request's bearer key is hashed and looked up. Keys are meant to
 * be long random strings (e.g. `openssl rand -hex 32`), so a fast hash is
 * the right tool: there is nothing to brute-force.
 *
 * A key table is immutable once built; SIGHUP builds a new one and the
 * loop thread swaps it in, so a lookup never sees a half-loaded table.
 * Loop thread only.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct key {
	char hash[65];
	char *principal;
	bool admin;
} key_t_;

struct srv_keys {
	key_t_ *v;
	size_t n;
	nm_hmap_t by_hash;
};

void srv_hash_key(const char *key, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = '\0';
}

void srv_keys_free(srv_keys_t *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].principal);
	free(k->v);
	nm_hmap_free(&k->by_hash);
	free(k);
}

size_t srv_keys_count(const srv_keys_t *k)
{
	return k ? k->n : 0;
}

/* Parse "<hash> <principal> <role>" (where = file:line for messages). */
static int add_line(srv_keys_t *k, const char *line, const char *where, char *msg, size_t msglen)
{
	char hash[80], principal[256], role[16], extra[2];
	int n = sscanf(line, "%79s %255s %15s %1s", hash, principal, role, extra);
	bool hex = strlen(hash) == 64;
	for (size_t i = 0; hex && i < 64; i++)
		hex = isxdigit((unsigned char)hash[i]);
	if (n != 3 || !hex || (strcmp(role, "admin") != 0 && strcmp(role, "user") != 0)) {
		snprintf(msg, msglen, "%s: expected '<sha256-hex> <principal> <admin|user>'", where);
		return -1;
	}
	k->v = nm_xrealloc(k->v, sizeof *k->v * (k->n + 1));
	key_t_ *e = &k->v[k->n++];
	for (int i = 0; i < 64; i++)
		e->hash[i] = (char)tolower((unsigned char)hash[i]);
	e->hash[64] = '\0';
	e->principal = nm_xstrdup(principal);
	e->admin = strcmp(role, "admin") == 0;
	return 0;
}

srv_keys_t *srv_keys_load(const srv_config_t *c, char *msg, size_t msglen)
{
	srv_keys_t *k = nm_xcalloc(1, sizeof *k);
	for (size_t i = 0; i < c->keys.n; i++)
		if (add_line(k, c->keys.v[i], "auth.key", msg, msglen))
			goto fail;
	if (c->keys_file && *c->keys_file) {
		FILE *f = fopen(c->keys_file, "r");
		if (!f) {
			snprintf(msg, msglen, "cannot read keys file %s: %s", c->keys_file, strerror(errno));
			goto fail;
		}
		char line[1024], where[600];
		int lineno = 0;
		while (fgets(line, sizeof line, f)) {
			lineno++;
			char *s = line;
			while (isspace((unsigned char)*s))
				s++;
			if (!*s || *s == '#')
				continue;
			snprintf(where, sizeof where, "%s:%d", c->keys_file, lineno);
			if (add_line(k, s, where, msg, msglen)) {
				fclose(f);
				goto fail;
			}
		}
		fclose(f);
	}
	/* Index after loading: the vector no longer moves. */
	for (size_t i = 0; i < k->n; i++)
		nm_hmap_put(&k->by_hash, k->v[i].hash, 64, &k->v[i]);
	return k;
fail:
	srv_keys_free(k);
	return NULL;
}

bool srv_keys_check(const srv_keys_t *k, const char *authz, srv_principal_t *out)
{
	if (!k || !authz)
		return false;
	while (*authz == ' ')
		authz++;
	if (strncasecmp(authz, "bearer ", 7) != 0)
		return false;
	const char *key = authz + 7;
	while (*key == ' ')
		key++;
	if (!*key)
		return false;
	char hash[65];
	srv_hash_key(key, hash);
	const key_t_ *e = nm_hmap_get(&k->by_hash, hash, 64);
	if (!e)
		return false;
	out->name = e->principal;
	out->admin = e->admin;
	return true;
}
