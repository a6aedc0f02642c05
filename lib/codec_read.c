/*
 * codec_read.c — request bodies to model structs (codec.h).
 *
 * Each decoder walks its object's fields in PROTOCOL.md table order through
 * the small rd_* readers below, so the first invalid field decides the
 * error. Readers return 1 when the field was given (value stored), 0 when it
 * was absent (or null where null means absent), and a negative status after
 * filling the error. Thread-safe.
 */
#include "codec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"
#include "uuid.h"

#include <unicode/utf8.h>

#include "regex.h"

typedef struct rd {
	const json_t *obj;
	const char *prefix;
	nm_err_t *err;
} rd_t;

static int bad(const rd_t *r, int status, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(const rd_t *r, int status, const char *key, const char *fmt, ...)
{
	char msg[sizeof r->err->detail];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return nm_err_set(r->err, status, "%s%s: %s", r->prefix ? r->prefix : "", key, msg);
}

/* The value for key; NULL when absent or null (*is_null tells which). */
static const json_t *field(const rd_t *r, const char *key, bool *is_null)
{
	const json_t *v = json_object_get(r->obj, key);
	*is_null = v && json_is_null(v);
	return *is_null ? NULL : v;
}

static int missing(const rd_t *r, const char *key, bool required, bool is_null)
{
	if (!required)
		return 0;
	return bad(r, NM_ST_INVALID, key, is_null ? "must not be null" : "field required");
}

bool nm_id_valid(const char *s, size_t n)
{
	return n > 0 && n <= NM_ID_MAX && memchr(s, '\0', n) == NULL;
}

static int rd_id(const rd_t *r, const char *key, bool required, char **out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return missing(r, key, required, nul);
	if (!json_is_string(v) || !nm_id_valid(json_string_value(v), json_string_length(v)))
		return bad(r, NM_ST_INVALID, key, "must be a non-empty string of at most %d bytes", NM_ID_MAX);
	*out = nm_xstrdup(json_string_value(v));
	return 1;
}

/* A NUL-free string of min_cp..max_cp code points (max_cp 0 = no limit).
 * With nullable, an explicit null is stored as NULL and counts as given. */
static int rd_text(const rd_t *r, const char *key, bool required, bool nullable, size_t min_cp,
                   size_t max_cp, char **out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v) {
		if (nul && nullable) {
			*out = NULL;
			return 1;
		}
		return missing(r, key, required, nul);
	}
	if (!json_is_string(v))
		return bad(r, NM_ST_INVALID, key, "must be a string");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), ncp = 0;
	if (memchr(s, '\0', n))
		return bad(r, NM_ST_INVALID, key, "must not contain NUL characters");
	nm_utf8_valid(s, n, &ncp);
	if (ncp < min_cp || (max_cp && ncp > max_cp))
		return bad(r, NM_ST_INVALID, key, "length must be between %zu and %zu characters", min_cp, max_cp);
	*out = nm_xstrdup(s);
	return 1;
}

static int rd_enum(const rd_t *r, const char *key, bool required, const nm_enum_t *e, int *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return missing(r, key, required, nul);
	if (!json_is_string(v))
		return bad(r, NM_ST_INVALID, key, "must be a string");
	int x = nm_enum_parse(e, json_string_value(v), json_string_length(v));
	if (x < 0)
		return bad(r, NM_ST_BAD_REQUEST, key, "unknown value '%.*s'; allowed: %s",
		           NM_ERR_STR(json_string_value(v), 60), nm_enum_allowed(e));
	*out = x;
	return 1;
}

static int rd_num(const rd_t *r, const char *key, double lo, double hi, double *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return 0;
	if (!json_is_number(v))
		return bad(r, NM_ST_INVALID, key, "must be a number");
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi) {
		if (isinf(hi))
			return bad(r, NM_ST_INVALID, key, "must be at least %g", lo);
		return bad(r, NM_ST_INVALID, key, "must be between %g and %g", lo, hi);
	}
	*out = x;
	return 1;
}

/* An integral JSON number (3 or 3.0) within lo..hi. */
static int rd_int(const rd_t *r, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return 0;
	int64_t x;
	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
	           fabs(json_real_value(v)) < 9.2e18) {
		x = (int64_t)json_real_value(v);
	} else {
		return bad(r, NM_ST_INVALID, key, "must be an integer");
	}
	if (x < lo || x > hi) {
		if (hi == INT64_MAX)
			return bad(r, NM_ST_INVALID, key, "must be at least %lld", (long long)lo);
		return bad(r, NM_ST_INVALID, key, "must be between %lld and %lld", (long long)lo, (long long)hi);
	}
	*out = x;
	return 1;
}

static int rd_bool(const rd_t *r, const char *key, bool *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(r, NM_ST_INVALID, key, "must be true or false");
	*out = json_is_true(v);
	return 1;
}

/* A datetime string; with nullable, null gives NM_TIME_NONE (given). */
static int rd_time(const rd_t *r, const char *key, bool nullable, int64_t *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v) {
		if (nul && nullable) {
			*out = NM_TIME_NONE;
			return 1;
		}
		return 0;
	}
	if (!json_is_string(v) || nm_time_parse(json_string_value(v), json_string_length(v), out))
		return bad(r, NM_ST_INVALID, key, "invalid datetime (expected ISO 8601, e.g. 2026-01-02T03:04:05.000006)");
	return 1;
}

/* A JSON object, stored as its canonical text. */
static int rd_meta(const rd_t *r, const char *key, char **out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad(r, NM_ST_INVALID, key, "must be an object");
	*out = nm_json_text(v);
	return 1;
}

/* An array of strings kept as a first-seen-order set; with ids, each
 * element must be a valid id, otherwise any NUL-free string. */
static int rd_strset(const rd_t *r, const char *key, bool required, bool ids, nm_strv_t *out)
{
	bool nul;
	const json_t *v = field(r, key, &nul);
	if (!v)
		return missing(r, key, required, nul);
	if (!json_is_array(v))
		return bad(r, NM_ST_INVALID, key, "must be an array of strings");
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_string(x))
			return bad(r, NM_ST_INVALID, key, "item %zu must be a string", i);
		const char *s = json_string_value(x);
		size_t n = json_string_length(x);
		if (ids ? !nm_id_valid(s, n) : memchr(s, '\0', n) != NULL)
			return bad(r, NM_ST_INVALID, key, ids ? "item %zu must be a non-empty id of at most 255 bytes"
			                                      : "item %zu must not contain NUL characters", i);
		nm_strv_add(out, s);
	}
	return 1;
}

#define FIELD(expr, bit)                 \
	do {                                 \
		int rc_ = (expr);                \
		if (rc_ < 0)                     \
			return rc_;                  \
		if (rc_ > 0)                     \
			*present |= (bit);           \
	} while (0)

static void default_id(const nm_decode_opts_t *o, char **id)
{
	if (o->mode == NM_DECODE_CREATE && !*id) {
		char u[NM_UUID_BUFSZ];
		*id = nm_xstrdup(nm_uuid4(u));
	}
}

static void default_created(const nm_decode_opts_t *o, unsigned present, unsigned bit, int64_t *t)
{
	if (o->mode == NM_DECODE_CREATE && !(present & bit))
		*t = o->now ? o->now : nm_time_now();
}

static void default_meta(const nm_decode_opts_t *o, char **meta)
{
	if (o->mode == NM_DECODE_CREATE && !*meta)
		*meta = nm_xstrdup("{}");
}

static int rd_content(const rd_t *r, const nm_decode_opts_t *o, nm_neuron_t *out)
{
	bool nul;
	const json_t *v = field(r, "content", &nul);
	if (!v)
		return missing(r, "content", o->mode == NM_DECODE_CREATE, nul);
	if (!json_is_string(v))
		return bad(r, NM_ST_INVALID, "content", "must be a string");
	size_t n = json_string_length(v);
	if (o->max_content_bytes && n > o->max_content_bytes)
		return bad(r, NM_ST_TOO_LARGE, "content", "exceeds the limit of %zu bytes", o->max_content_bytes);
	out->content = nm_xstrndup(json_string_value(v), n);
	out->content_len = n;
	return 1;
}

int nm_neuron_decode(const json_t *obj, const nm_decode_opts_t *o, nm_neuron_t *out,
                     unsigned *present, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool create = o->mode == NM_DECODE_CREATE;
	int type = 0;
	*present = 0;
	FIELD(rd_id(&r, "id", false, &out->id), NM_F_ID);
	FIELD(rd_enum(&r, "type", create, &nm_enum_neuron_type, &type), NM_F_TYPE);
	out->type = (nm_neuron_type_t)type;
	FIELD(rd_content(&r, o, out), NM_F_CONTENT);
	FIELD(rd_meta(&r, "metadata", &out->metadata), NM_F_METADATA);
	FIELD(rd_time(&r, "created_at", false, &out->created_at), NM_F_CREATED_AT);
	default_id(o, &out->id);
	default_meta(o, &out->metadata);
	default_created(o, *present, NM_F_CREATED_AT, &out->created_at);
	return 0;
}

int nm_state_decode(const json_t *obj, const nm_decode_opts_t *o, nm_state_t *out,
                    unsigned *present, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	*present = 0;
	out->last_activated = NM_TIME_NONE;
	FIELD(rd_id(&r, "neuron_id", false, &out->neuron_id), NM_FS_NEURON_ID);
	FIELD(rd_num(&r, "activation_level", 0, 1, &out->activation_level), NM_FS_ACTIVATION);
	FIELD(rd_int(&r, "access_frequency", 0, INT64_MAX, &out->access_frequency), NM_FS_ACCESS);
	FIELD(rd_time(&r, "last_activated", true, &out->last_activated), NM_FS_LAST_ACTIVATED);
	FIELD(rd_num(&r, "decay_rate", 0, INFINITY, &out->decay_rate), NM_FS_DECAY);
	FIELD(rd_time(&r, "created_at", false, &out->created_at), NM_FS_CREATED_AT);
	if (o->mode == NM_DECODE_CREATE && !(*present & NM_FS_DECAY))
		out->decay_rate = NM_STATE_DEFAULT_DECAY;
	default_created(o, *present, NM_FS_CREATED_AT, &out->created_at);
	return 0;
}

int nm_synapse_decode(const json_t *obj, const nm_decode_opts_t *o, nm_synapse_t *out,
                      unsigned *present, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool create = o->mode == NM_DECODE_CREATE;
	int type = 0, dir = 0;
	*present = 0;
	out->last_activated = NM_TIME_NONE;
	FIELD(rd_id(&r, "id", false, &out->id), NM_FY_ID);
	FIELD(rd_id(&r, "source_id", create, &out->source_id), NM_FY_SOURCE);
	FIELD(rd_id(&r, "target_id", create, &out->target_id), NM_FY_TARGET);
	FIELD(rd_enum(&r, "type", create, &nm_enum_synapse_type, &type), NM_FY_TYPE);
	out->type = (nm_synapse_type_t)type;
	FIELD(rd_num(&r, "weight", 0, 1, &out->weight), NM_FY_WEIGHT);
	FIELD(rd_enum(&r, "direction", false, &nm_enum_direction, &dir), NM_FY_DIRECTION);
	out->direction = (nm_direction_t)dir;
	FIELD(rd_meta(&r, "metadata", &out->metadata), NM_FY_METADATA);
	FIELD(rd_int(&r, "reinforced_count", 0, INT64_MAX, &out->reinforced_count), NM_FY_REINFORCED);
	FIELD(rd_time(&r, "last_activated", true, &out->last_activated), NM_FY_LAST_ACTIVATED);
	FIELD(rd_time(&r, "created_at", false, &out->created_at), NM_FY_CREATED_AT);
	if (create) {
		if (!(*present & NM_FY_WEIGHT))
			out->weight = NM_SYNAPSE_DEFAULT_WEIGHT;
		if (!(*present & NM_FY_DIRECTION))
			out->direction = nm_synapse_default_direction(out->type);
	}
	default_id(o, &out->id);
	default_meta(o, &out->metadata);
	default_created(o, *present, NM_FY_CREATED_AT, &out->created_at);
	return 0;
}

int nm_fiber_check(const nm_fiber_t *f, const char *prefix, nm_err_t *err)
{
	const char *p = prefix ? prefix : "";
	if (!nm_strv_has(&f->neuron_ids, f->anchor_neuron_id))
		return nm_err_set(err, NM_ST_INVALID, "%sanchor_neuron_id: must be one of neuron_ids", p);
	if (f->time_start != NM_TIME_NONE && f->time_end != NM_TIME_NONE && f->time_start > f->time_end)
		return nm_err_set(err, NM_ST_INVALID, "%stime_end: must not be before time_start", p);
	return 0;
}

int nm_fiber_decode(const json_t *obj, const nm_decode_opts_t *o, nm_fiber_t *out,
                    unsigned *present, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool create = o->mode == NM_DECODE_CREATE;
	*present = 0;
	out->time_start = out->time_end = NM_TIME_NONE;
	FIELD(rd_id(&r, "id", false, &out->id), NM_FF_ID);
	FIELD(rd_strset(&r, "neuron_ids", create, true, &out->neuron_ids), NM_FF_NEURONS);
	FIELD(rd_strset(&r, "synapse_ids", false, true, &out->synapse_ids), NM_FF_SYNAPSES);
	FIELD(rd_id(&r, "anchor_neuron_id", create, &out->anchor_neuron_id), NM_FF_ANCHOR);
	if (create && !nm_strv_has(&out->neuron_ids, out->anchor_neuron_id))
		return bad(&r, NM_ST_INVALID, "anchor_neuron_id", "must be one of neuron_ids");
	FIELD(rd_time(&r, "time_start", true, &out->time_start), NM_FF_TIME_START);
	FIELD(rd_time(&r, "time_end", true, &out->time_end), NM_FF_TIME_END);
	if (create && out->time_start != NM_TIME_NONE && out->time_end != NM_TIME_NONE &&
	    out->time_start > out->time_end)
		return bad(&r, NM_ST_INVALID, "time_end", "must not be before time_start");
	FIELD(rd_num(&r, "coherence", 0, 1, &out->coherence), NM_FF_COHERENCE);
	FIELD(rd_num(&r, "salience", 0, 1, &out->salience), NM_FF_SALIENCE);
	FIELD(rd_int(&r, "frequency", 0, INT64_MAX, &out->frequency), NM_FF_FREQUENCY);
	FIELD(rd_text(&r, "summary", false, true, 0, 0, &out->summary), NM_FF_SUMMARY);
	FIELD(rd_strset(&r, "tags", false, false, &out->tags), NM_FF_TAGS);
	FIELD(rd_meta(&r, "metadata", &out->metadata), NM_FF_METADATA);
	FIELD(rd_time(&r, "created_at", false, &out->created_at), NM_FF_CREATED_AT);
	default_id(o, &out->id);
	default_meta(o, &out->metadata);
	default_created(o, *present, NM_FF_CREATED_AT, &out->created_at);
	return 0;
}

int nm_config_decode(const json_t *v, const char *prefix, nm_config_t *cfg, nm_err_t *err)
{
	if (!v || json_is_null(v))
		return 0;
	char pre[96];
	snprintf(pre, sizeof pre, "%sconfig.", prefix ? prefix : "");
	if (!json_is_object(v))
		return nm_err_set(err, NM_ST_INVALID, "%sconfig: must be an object", prefix ? prefix : "");
	rd_t r = {v, pre, err};
	unsigned dummy = 0, *present = &dummy;
	FIELD(rd_num(&r, "decay_rate", 0, 1, &cfg->decay_rate), 1);
	FIELD(rd_num(&r, "reinforcement_delta", 0, 0.5, &cfg->reinforcement_delta), 1);
	FIELD(rd_num(&r, "activation_threshold", 0, 1, &cfg->activation_threshold), 1);
	FIELD(rd_int(&r, "max_spread_hops", 1, 10, &cfg->max_spread_hops), 1);
	FIELD(rd_int(&r, "max_context_tokens", 100, 10000, &cfg->max_context_tokens), 1);
	FIELD(rd_num(&r, "default_synapse_weight", 0, 1, &cfg->default_synapse_weight), 1);
	FIELD(rd_enum(&r, "engine_mode", false, &nm_enum_engine_mode, &cfg->engine_mode), 1);
	return 0;
}

int nm_brain_decode(const json_t *obj, const nm_decode_opts_t *o, const nm_config_t *base,
                    nm_brain_rec_t *out, unsigned *present, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool create = o->mode == NM_DECODE_CREATE;
	*present = 0;
	out->config = *base;
	FIELD(rd_id(&r, "id", false, &out->id), NM_FB_ID);
	FIELD(rd_text(&r, "name", create, false, 1, 100, &out->name), NM_FB_NAME);
	FIELD(rd_text(&r, "owner_id", false, true, 0, 0, &out->owner_id), NM_FB_OWNER);
	FIELD(rd_bool(&r, "is_public", &out->is_public), NM_FB_PUBLIC);
	FIELD(rd_strset(&r, "shared_with", false, false, &out->shared_with), NM_FB_SHARED);
	const json_t *cfg = json_object_get(obj, "config");
	if (cfg && !json_is_null(cfg)) {
		int rc = nm_config_decode(cfg, o->prefix, &out->config, err);
		if (rc < 0)
			return rc;
		*present |= NM_FB_CONFIG;
	}
	FIELD(rd_meta(&r, "metadata", &out->metadata), NM_FB_METADATA);
	default_meta(o, &out->metadata);
	return 0;
}

/* ---- engine requests (PROTOCOL.md §3.3, §6.1) ---- */

/* Does the string hold a character other than whitespace? */
static bool has_text(const char *s, size_t n)
{
	for (int32_t i = 0, len = (int32_t)n; i < len;) {
		UChar32 c;
		U8_NEXT(s, i, len, c);
		if (c < 0 || !nm_py_isspace(c))
			return true;
	}
	return false;
}

int nm_encode_req_decode(const json_t *obj, const nm_decode_opts_t *o, nm_encode_req_t *out, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool nul;
	memset(out, 0, sizeof *out);
	out->timestamp = NM_TIME_NONE;
	const json_t *v = field(&r, "content", &nul);
	if (!v)
		return missing(&r, "content", true, nul);
	if (!json_is_string(v))
		return bad(&r, NM_ST_INVALID, "content", "must be a string");
	size_t n = json_string_length(v);
	if (!has_text(json_string_value(v), n))
		return bad(&r, NM_ST_INVALID, "content", "must contain a non-whitespace character");
	if (o->max_content_bytes && n > o->max_content_bytes)
		return bad(&r, NM_ST_TOO_LARGE, "content", "exceeds the limit of %zu bytes", o->max_content_bytes);
	out->content = nm_xstrndup(json_string_value(v), n);
	out->content_len = n;
	int rc;
	if ((rc = rd_time(&r, "timestamp", true, &out->timestamp)) < 0 || (rc = rd_meta(&r, "metadata", &out->metadata)) < 0)
		return rc;
	if ((rc = rd_strset(&r, "tags", false, false, &out->tags)) < 0)
		return rc;
	out->has_tags = rc > 0;
	return 0;
}

void nm_encode_req_clear(nm_encode_req_t *r)
{
	free(r->content);
	free(r->metadata);
	nm_strv_clear(&r->tags);
	memset(r, 0, sizeof *r);
}

int nm_query_req_decode(const json_t *obj, const nm_decode_opts_t *o, nm_query_req_t *out, nm_err_t *err)
{
	rd_t r = {obj, o->prefix, err};
	bool nul;
	memset(out, 0, sizeof *out);
	out->depth = -1;
	out->max_tokens = 500;
	out->reference_time = NM_TIME_NONE;
	out->reinforce = true;
	const json_t *v = field(&r, "query", &nul);
	if (!v)
		return missing(&r, "query", true, nul);
	if (!json_is_string(v))
		return bad(&r, NM_ST_INVALID, "query", "must be a string");
	size_t n = json_string_length(v);
	if (!has_text(json_string_value(v), n))
		return bad(&r, NM_ST_INVALID, "query", "must not be empty");
	if (n > 64 * 1024)
		return bad(&r, NM_ST_INVALID, "query", "must be at most 65536 bytes");
	out->query = nm_xstrndup(json_string_value(v), n);
	out->query_len = n;
	int64_t depth = -1;
	int rc;
	if ((rc = rd_int(&r, "depth", 0, 3, &depth)) < 0 || (rc = rd_int(&r, "max_tokens", 50, 5000, &out->max_tokens)) < 0 ||
	    (rc = rd_bool(&r, "include_subgraph", &out->include_subgraph)) < 0 ||
	    (rc = rd_time(&r, "reference_time", true, &out->reference_time)) < 0 ||
	    (rc = rd_bool(&r, "reinforce", &out->reinforce)) < 0)
		return rc;
	out->depth = (int)depth;
	return 0;
}

void nm_query_req_clear(nm_query_req_t *r)
{
	free(r->query);
	memset(r, 0, sizeof *r);
}

/* ---- lifecycle route bodies ---- */

int nm_decay_req_decode(const json_t *obj, nm_decay_req_t *out, nm_err_t *err)
{
	rd_t r = {obj, "", err};
	*out = (nm_decay_req_t){.decay_rate = -1, .prune_threshold = 0.01, .reference_time = NM_TIME_NONE};
	int rc;
	if ((rc = rd_num(&r, "decay_rate", 0, 1, &out->decay_rate)) < 0 ||
	    (rc = rd_num(&r, "prune_threshold", 0, 1, &out->prune_threshold)) < 0 ||
	    (rc = rd_num(&r, "min_age_days", 0, INFINITY, &out->min_age_days)) < 0 ||
	    (rc = rd_bool(&r, "prune_orphans", &out->prune_orphans)) < 0 ||
	    (rc = rd_time(&r, "reference_time", true, &out->reference_time)) < 0 ||
	    (rc = rd_bool(&r, "dry_run", &out->dry_run)) < 0)
		return rc;
	return 0;
}

int nm_archive_req_decode(const json_t *obj, nm_archive_req_t *out, nm_err_t *err)
{
	rd_t r = {obj, "", err};
	*out = (nm_archive_req_t){.older_than_days = 90, .reference_time = NM_TIME_NONE};
	int rc;
	if ((rc = rd_int(&r, "older_than_days", 1, 1000000, &out->older_than_days)) < 0 ||
	    (rc = rd_time(&r, "reference_time", true, &out->reference_time)) < 0 ||
	    (rc = rd_bool(&r, "dry_run", &out->dry_run)) < 0)
		return rc;
	return 0;
}

int nm_restore_req_decode(const json_t *obj, nm_restore_req_t *out, nm_err_t *err)
{
	rd_t r = {obj, "", err};
	memset(out, 0, sizeof *out);
	int rc, given;
	if ((given = rd_strset(&r, "fiber_ids", false, true, &out->fiber_ids)) < 0 ||
	    (rc = rd_bool(&r, "all", &out->all)) < 0)
		return given < 0 ? given : rc;
	if (out->all && out->fiber_ids.n)
		return bad(&r, NM_ST_INVALID, "fiber_ids", "give either fiber_ids or all: true, not both");
	if (!out->all && !out->fiber_ids.n)
		return bad(&r, NM_ST_INVALID, "fiber_ids", "field required (a non-empty array), or all: true");
	return 0;
}

int nm_backup_req_decode(const json_t *obj, char **path, nm_err_t *err)
{
	rd_t r = {obj, "", err};
	*path = NULL;
	int rc = rd_text(&r, "path", false, true, 1, 255, path);
	if (rc <= 0 || !*path)
		return rc < 0 ? rc : 0;
	if (strchr(*path, '/') || strcmp(*path, ".") == 0 || strcmp(*path, "..") == 0 || (*path)[0] == '.')
		return bad(&r, NM_ST_INVALID, "path", "must be a file name inside the backup directory"
		           " (no '/', not starting with '.')");
	return 0;
}
