/*
 * router.c — method + path → route (DESIGN.md "How a request flows").
 *
 * The table below is every route nmemd serves, in PROTOCOL.md §3 order.
 * Matching walks it once: the first route whose template matches the path
 * and whose method matches wins (HEAD matches GET routes); when only the
 * path matches, the caller answers 405 with the collected Allow list. A
 * literal template beats a parameter: /brain/create is never read as
 * /brain/{brain_id} (PROTOCOL.md §1.5), so GET on it is a 405.
 * Template segments "{name}" match one non-empty segment, which is
 * percent-decoded (and must be valid UTF-8); a last segment "{name...}"
 * matches the rest of the path, slashes included. A single trailing '/' is
 * ignored (PROTOCOL.md §1.1). Thread-safe: the table is constant.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define H SRV_R_BRAIN_HEADER
#define P SRV_R_BRAIN_PATH
#define W SRV_R_WRITE
#define L SRV_R_LONG
static const srv_route_t routes[] = {
	{HTTP_GET, "/health", srv_h_health, SRV_R_PUBLIC | SRV_R_LOOP},
	{HTTP_GET, "/", srv_h_root, SRV_R_PUBLIC | SRV_R_LOOP},
	{HTTP_GET, "/openapi.json", srv_h_openapi, SRV_R_PUBLIC | SRV_R_LOOP},
	{HTTP_GET, "/metrics", srv_h_metrics, SRV_R_METRICS | SRV_R_LOOP},
	{HTTP_GET, "/docs", srv_h_docs, SRV_R_PUBLIC},
	{HTTP_GET, "/ui", srv_h_ui, SRV_R_PUBLIC},
	{HTTP_GET, "/static/{path...}", srv_h_static, SRV_R_PUBLIC},
	{HTTP_GET, "/api/graph", srv_h_graph, 0},
	{HTTP_GET, "/sync/ws", NULL, SRV_R_WS},
	{HTTP_GET, "/sync/stats", srv_h_sync_stats, SRV_R_LOOP},
	{HTTP_GET, "/brains", srv_h_brain_list, 0},
	{HTTP_POST, "/brain/create", srv_h_brain_create, 0},
	{HTTP_GET, "/brain/{brain_id}", srv_h_brain_get, P},
	{HTTP_PUT, "/brain/{brain_id}", srv_h_brain_update, P | W},
	{HTTP_DELETE, "/brain/{brain_id}", srv_h_brain_delete, P | W},
	{HTTP_GET, "/brain/{brain_id}/stats", srv_h_brain_stats, P},
	{HTTP_GET, "/brain/{brain_id}/export", srv_h_brain_export, P | L},
	{HTTP_POST, "/brain/{brain_id}/import", srv_h_brain_import, SRV_R_IMPORT | W | L | SRV_R_STREAM_IN},
	{HTTP_POST, "/brain/{brain_id}/decay", srv_h_decay, P | W},
	{HTTP_POST, "/brain/{brain_id}/backup", srv_h_backup, P | W},
	{HTTP_POST, "/brain/{brain_id}/archive", srv_h_archive, P | W},
	{HTTP_POST, "/brain/{brain_id}/archive/restore", srv_h_archive_restore, P | W},
	{HTTP_GET, "/jobs/{job_id}", srv_h_job_get, SRV_R_LOOP},
	{HTTP_POST, "/memory/encode", srv_h_encode, H | W},
	{HTTP_POST, "/memory/encode/batch", srv_h_encode_batch, H | W | SRV_R_BATCH},
	{HTTP_POST, "/memory/query", srv_h_query, H},
	{HTTP_GET, "/memory/neurons", srv_h_neuron_list, H},
	{HTTP_POST, "/memory/neurons", srv_h_neuron_create, H | W},
	{HTTP_GET, "/memory/neurons/{neuron_id}", srv_h_neuron_get, H},
	{HTTP_PUT, "/memory/neurons/{neuron_id}", srv_h_neuron_update, H | W},
	{HTTP_DELETE, "/memory/neurons/{neuron_id}", srv_h_neuron_delete, H | W},
	{HTTP_GET, "/memory/neurons/{neuron_id}/state", srv_h_state_get, H},
	{HTTP_PUT, "/memory/neurons/{neuron_id}/state", srv_h_state_put, H | W},
	{HTTP_GET, "/memory/neurons/{neuron_id}/neighbors", srv_h_neighbors, H},
	{HTTP_GET, "/memory/neurons/{neuron_id}/path", srv_h_path, H},
	{HTTP_GET, "/memory/synapses", srv_h_synapse_list, H},
	{HTTP_POST, "/memory/synapses", srv_h_synapse_create, H | W},
	{HTTP_GET, "/memory/synapses/{synapse_id}", srv_h_synapse_get, H},
	{HTTP_PUT, "/memory/synapses/{synapse_id}", srv_h_synapse_update, H | W},
	{HTTP_DELETE, "/memory/synapses/{synapse_id}", srv_h_synapse_delete, H | W},
	{HTTP_GET, "/memory/fibers", srv_h_fiber_list, H},
	{HTTP_POST, "/memory/fibers", srv_h_fiber_create, H | W},
	{HTTP_GET, "/memory/fiber/{fiber_id}", srv_h_fiber_get, H},
	{HTTP_GET, "/memory/fibers/{fiber_id}", srv_h_fiber_get, H},
	{HTTP_PUT, "/memory/fibers/{fiber_id}", srv_h_fiber_update, H | W},
	{HTTP_DELETE, "/memory/fibers/{fiber_id}", srv_h_fiber_delete, H | W},
};
#undef H
#undef P
#undef W
#undef L

/* Does tmpl match the path? Captures decoded parameters into m. */
static bool match_path(const char *tmpl, const char *path, size_t len, srv_match_t *m)
{
	const char *t = tmpl, *p = path, *pe = path + len;
	int np = 0;
	char *caps[SRV_MAX_PARAMS];
	bool bad = false;
	while (*t && p < pe) {
		if (*t != '/' || *p != '/')
			goto no;
		t++, p++;
		const char *te = strchr(t, '/'), *se = memchr(p, '/', (size_t)(pe - p));
		size_t tl = te ? (size_t)(te - t) : strlen(t), sl = se ? (size_t)(se - p) : (size_t)(pe - p);
		if (tl > 5 && t[0] == '{' && memcmp(t + tl - 4, "...}", 4) == 0) { /* the rest of the path */
			sl = (size_t)(pe - p);
			if (sl == 0 || np == SRV_MAX_PARAMS)
				goto no;
			bool ok;
			caps[np++] = srv_pct_decode(p, sl, false, NULL, &ok);
			bad |= !ok;
		} else if (tl && t[0] == '{') {
			if (sl == 0 || np == SRV_MAX_PARAMS)
				goto no;
			bool ok;
			caps[np++] = srv_pct_decode(p, sl, false, NULL, &ok);
			bad |= !ok;
		} else if (tl != sl || memcmp(t, p, tl) != 0) {
			goto no;
		}
		t += tl;
		p += sl;
	}
	if (*t || p != pe)
		goto no;
	for (int i = 0; i < np; i++)
		m->params[i] = caps[i];
	m->nparams = np;
	m->bad_encoding = bad;
	return true;
no:
	for (int i = 0; i < np; i++)
		free(caps[i]);
	return false;
}

void srv_route_match(int method, const char *path, size_t len, srv_match_t *m)
{
	memset(m, 0, sizeof *m);
	if (len > 1 && path[len - 1] == '/')
		len--;
	int want = method == HTTP_HEAD ? HTTP_GET : method;
	bool literal = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const srv_route_t *r = &routes[i];
		srv_match_t tmp = {0};
		if (!match_path(r->tmpl, path, len, &tmp))
			continue;
		if (tmp.nparams == 0)
			literal = true;
		else if (literal) { /* a literal route already owns this path */
			srv_match_free(&tmp);
			continue;
		}
		if (r->method == want && !m->route) {
			for (int k = 0; k < tmp.nparams; k++)
				m->params[k] = tmp.params[k];
			m->nparams = tmp.nparams;
			m->bad_encoding = tmp.bad_encoding;
			m->route = r;
		} else {
			srv_match_free(&tmp);
		}
		const char *name = llhttp_method_name((llhttp_method_t)r->method);
		if (!strstr(m->allow, name)) {
			size_t n = strlen(m->allow);
			snprintf(m->allow + n, sizeof m->allow - n, "%s%s", n ? ", " : "", name);
			if (r->method == HTTP_GET)
				strncat(m->allow, ", HEAD", sizeof m->allow - strlen(m->allow) - 1);
		}
		m->path_known = true;
	}
}

void srv_match_free(srv_match_t *m)
{
	for (int i = 0; i < m->nparams; i++) {
		free(m->params[i]);
		m->params[i] = NULL;
	}
	m->nparams = 0;
}
