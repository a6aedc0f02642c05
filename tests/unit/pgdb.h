/*
 * pgdb.h — a fresh PostgreSQL database per test case, for the unit tests'
 * "postgres" backend runs (test_store.c, test_gindex.c). Header only: each
 * test is one source file (Makefile).
 *
 * The server is the one NMEMD_TEST_PG names (a superuser's URL; `make
 * unit` starts a throwaway server for it: tests/pg/pgtmp.py). Unset: the
 * postgres cases are skipped, saying so. pgdb_setup() creates
 * nmt_<pid>_<counter> on it (dropping a leftover of that name first: a
 * crashed case of an earlier process with the same pid) and gives its URL;
 * pgdb_teardown() drops it, ending any session still open on it.
 */
#ifndef NMEMD_TESTS_PGDB_H
#define NMEMD_TESTS_PGDB_H

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct pgdb {
	char name[64]; /* "" until created */
	char url[1024];
} pgdb_t;

static inline void pgdb_quiet(void *arg, const char *message)
{
}

/* Run sql on NMEMD_TEST_PG's server; 0, or -1 with the error in msg. */
static inline int pgdb_exec(const char *sql, char *msg, size_t cap)
{
	PGconn *c = PQconnectdb(getenv("NMEMD_TEST_PG"));
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, pgdb_quiet, NULL); /* "does not exist, skipping" */
		PGresult *r = PQexec(c, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc)
			snprintf(msg, cap, "%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		snprintf(msg, cap, "connect to NMEMD_TEST_PG: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return rc;
}

/* db->url = NMEMD_TEST_PG with its database name replaced by db->name (the
 * path after the authority; query parameters kept). */
static inline void pgdb_url(pgdb_t *db, const char *server)
{
	const char *auth = strstr(server, "://");
	auth = auth ? auth + 3 : server;
	size_t end = strcspn(auth, "/?");
	const char *query = strchr(auth + end, '?');
	snprintf(db->url, sizeof db->url, "%.*s/%s%s", (int)(auth + end - server), server, db->name,
	         query ? query : "");
}

/* Skips the running case when NMEMD_TEST_PG is unset; else a fresh database. */
static inline void pgdb_setup(pgdb_t *db)
{
	static unsigned counter;
	const char *server = getenv("NMEMD_TEST_PG");
	db->name[0] = '\0';
	if (!server || !*server)
		cr_skip_test("postgres: NMEMD_TEST_PG is not set (make unit starts a server for it: tests/pg/pgtmp.py)");
	char name[64], sql[160], msg[1024];
	snprintf(name, sizeof name, "nmt_%ld_%u", (long)getpid(), counter++);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	cr_assert_eq(pgdb_exec(sql, msg, sizeof msg), 0, "%s", msg);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	cr_assert_eq(pgdb_exec(sql, msg, sizeof msg), 0, "%s", msg);
	snprintf(db->name, sizeof db->name, "%s", name);
	pgdb_url(db, server);
}

/* Drops the database pgdb_setup made (call after the store is closed). */
static inline void pgdb_teardown(pgdb_t *db)
{
	if (!db->name[0])
		return;
	char sql[160], msg[1024];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
	if (pgdb_exec(sql, msg, sizeof msg))
		cr_log_warn("%s", msg);
	db->name[0] = '\0';
}

#endif
