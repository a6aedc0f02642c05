/*
 * handlers/ui.c — the browser UI's files: GET /ui (index.html), GET /docs
 * (docs.html, which renders /openapi.json) and GET /static/{path}
 * (PROTOCOL.md §3.10, §6.3). No auth: the pages' API calls are
 * authenticated like any other.
 *
 * Files come from the UI directory (ui.dir, resolved at start-up, see
 * main.c): the page sources in the tree plus vendor/, the npm packages'
 * files and licences that scripts/install-deps.sh puts there. Paths are
 * confined to that directory: no "..", no hidden files, no NUL. Runs on
 * workers (file reads).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (32 << 20)

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".json", "application/json"}, {".map", "application/json"}, {".png", "image/png"},
		{".svg", "image/svg+xml"}, {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "text/plain; charset=utf-8"; /* LICENSE, README … */
}

/* A relative path that stays inside the UI directory and is one of the
 * page's files: not the npm install behind vendor/ (node_modules,
 * package*.json). */
static bool safe(const char *rel)
{
	if (!*rel || rel[0] == '/')
		return false;
	for (const char *seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		if (seg[0] == '.' || seg[0] == '/' || seg[0] == '\0')
			return false; /* "..", hidden files, empty segments */
		if (strncmp(seg, "node_modules", 12) == 0 && (seg[12] == '/' || seg[12] == '\0'))
			return false;
		if (strncmp(seg, "package", 7) == 0 && !strchr(seg, '/') && strstr(seg, ".json"))
			return false;
	}
	return true;
}

static void serve(srv_job_t *job, const char *rel)
{
	if (!safe(rel)) {
		srv_job_error(job, 404, "Not Found");
		return;
	}
	char *path = nm_xasprintf("%s/%s", job->ctx->cfg.ui_dir, rel);
	struct stat st;
	FILE *f = NULL;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_FILE)
		f = fopen(path, "rb");
	if (!f) {
		srv_job_error(job, 404, "Not Found");
		free(path);
		return;
	}
	nm_buf_reset(&job->out);
	nm_buf_reserve(&job->out, (size_t)st.st_size);
	job->out.len = fread(job->out.data, 1, (size_t)st.st_size, f);
	job->out.data[job->out.len] = '\0';
	fclose(f);
	job->status = 200;
	job->content_type = content_type(rel);
	free(path);
}

void srv_h_ui(srv_job_t *job)
{
	serve(job, "index.html");
	srv_job_finish(job);
}

void srv_h_docs(srv_job_t *job)
{
	serve(job, "docs.html");
	srv_job_finish(job);
}

void srv_h_static(srv_job_t *job)
{
	serve(job, job->params[0]);
	srv_job_finish(job);
}
