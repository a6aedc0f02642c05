/* model.c — enum tables, string sets and object copy/clear (model.h).
 * Thread-safe: tables are constant; functions touch only their arguments. */
#include "model.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const char *const neuron_types[] = {"time", "spatial", "entity", "action",
	"state", "concept", "sensory", "intent"};
static const char *const synapse_types[] = {"happened_at", "before", "after", "during",
	"at_location", "contains", "near", "caused_by", "leads_to", "enables", "prevents",
	"co_occurs", "related_to", "similar_to", "is_a", "has_property", "involves", "felt", "evokes"};
static const char *const directions[] = {"uni", "bi"};
static const char *const nb_dirs[] = {"out", "in", "both"};
static const char *const fiber_orders[] = {"created_at", "salience", "frequency"};
static const char *const memory_types[] = {"fact", "decision", "preference", "todo", "insight",
	"context", "instruction", "error", "workflow", "reference"};
static const char *const confidences[] = {"verified", "high", "medium", "low", "inferred"};
static const char *const engine_modes[] = {"fixed", "compat"};

#define ENUM(var, fieldname, arr) \
	const nm_enum_t var = {fieldname, arr, (int)(sizeof arr / sizeof arr[0])}
ENUM(nm_enum_neuron_type, "type", neuron_types);
ENUM(nm_enum_synapse_type, "type", synapse_types);
ENUM(nm_enum_direction, "direction", directions);
ENUM(nm_enum_nb_dir, "direction", nb_dirs);
ENUM(nm_enum_fiber_order, "order_by", fiber_orders);
ENUM(nm_enum_memory_type, "memory_type", memory_types);
ENUM(nm_enum_confidence, "confidence", confidences);
ENUM(nm_enum_engine_mode, "engine_mode", engine_modes);

const nm_config_t nm_config_default = {
	.decay_rate = 0.1,
	.reinforcement_delta = 0.05,
	.activation_threshold = 0.2,
	.max_spread_hops = 4,
	.max_context_tokens = 1500,
	.default_synapse_weight = 0.5,
	.engine_mode = -1,
};

int nm_enum_parse(const nm_enum_t *e, const char *s, size_t n)
{
	for (int i = 0; i < e->count; i++)
		if (strlen(e->names[i]) == n && memcmp(e->names[i], s, n) == 0)
			return i;
	return -1;
}

static const nm_enum_t *const all_enums[] = {&nm_enum_neuron_type, &nm_enum_synapse_type,
	&nm_enum_direction, &nm_enum_nb_dir, &nm_enum_fiber_order, &nm_enum_memory_type,
	&nm_enum_confidence, &nm_enum_engine_mode};
#define NENUMS (sizeof all_enums / sizeof all_enums[0])
static char allowed_text[NENUMS][400];
static pthread_once_t allowed_once = PTHREAD_ONCE_INIT;

static void build_allowed(void)
{
	for (size_t k = 0; k < NENUMS; k++) {
		const nm_enum_t *e = all_enums[k];
		for (int i = 0; i < e->count; i++) {
			if (i)
				strcat(allowed_text[k], ", ");
			strcat(allowed_text[k], e->names[i]);
		}
	}
}

const char *nm_enum_allowed(const nm_enum_t *e)
{
	pthread_once(&allowed_once, build_allowed);
	for (size_t k = 0; k < NENUMS; k++)
		if (all_enums[k] == e)
			return allowed_text[k];
	return "";
}

nm_direction_t nm_synapse_default_direction(nm_synapse_type_t t)
{
	return (t == NM_SYN_CO_OCCURS || t == NM_SYN_RELATED_TO || t == NM_SYN_SIMILAR_TO ||
	        t == NM_SYN_NEAR) ? NM_DIR_BI : NM_DIR_UNI;
}

bool nm_strv_has(const nm_strv_t *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

bool nm_strv_eq(const nm_strv_t *a, const nm_strv_t *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

void nm_strv_push(nm_strv_t *sv, char *s)
{
	if ((sv->n & (sv->n - 1)) == 0) /* grow at powers of two */
		sv->v = nm_xrealloc(sv->v, sizeof *sv->v * (sv->n ? sv->n * 2 : 1));
	sv->v[sv->n++] = s;
}

void nm_strv_add(nm_strv_t *sv, const char *s)
{
	if (!nm_strv_has(sv, s))
		nm_strv_push(sv, nm_xstrdup(s));
}

void nm_strv_clear(nm_strv_t *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void nm_strv_copy(nm_strv_t *dst, const nm_strv_t *src)
{
	for (size_t i = 0; i < src->n; i++)
		nm_strv_add(dst, src->v[i]);
}

char *nm_strv_pack(const nm_strv_t *sv, size_t *len)
{
	nm_buf_t b = {0};
	for (size_t i = 0; i < sv->n; i++)
		nm_buf_append(&b, sv->v[i], strlen(sv->v[i]) + 1);
	return nm_buf_steal(&b, len);
}

void nm_strv_unpack(nm_strv_t *sv, const char *blob, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *s = blob + i;
		size_t n = strnlen(s, len - i);
		char *tmp = nm_xstrndup(s, n);
		nm_strv_add(sv, tmp);
		free(tmp);
		i += n + 1;
	}
}

void nm_neuron_clear(nm_neuron_t *n)
{
	free(n->id);
	free(n->content);
	free(n->metadata);
	memset(n, 0, sizeof *n);
}

void nm_state_clear(nm_state_t *s)
{
	free(s->neuron_id);
	memset(s, 0, sizeof *s);
}

void nm_synapse_clear(nm_synapse_t *s)
{
	free(s->id);
	free(s->source_id);
	free(s->target_id);
	free(s->metadata);
	memset(s, 0, sizeof *s);
}

void nm_fiber_clear(nm_fiber_t *f)
{
	free(f->id);
	nm_strv_clear(&f->neuron_ids);
	nm_strv_clear(&f->synapse_ids);
	free(f->anchor_neuron_id);
	free(f->summary);
	nm_strv_clear(&f->tags);
	free(f->metadata);
	memset(f, 0, sizeof *f);
}

void nm_brain_rec_clear(nm_brain_rec_t *b)
{
	free(b->id);
	free(b->name);
	free(b->owner_id);
	nm_strv_clear(&b->shared_with);
	free(b->metadata);
	free(b->file);
	memset(b, 0, sizeof *b);
}

void nm_neuron_copy(nm_neuron_t *dst, const nm_neuron_t *src)
{
	*dst = *src;
	dst->id = nm_xstrdup(src->id);
	dst->content = nm_xstrndup(src->content, src->content_len);
	dst->metadata = nm_xstrdup(src->metadata);
}

void nm_synapse_copy(nm_synapse_t *dst, const nm_synapse_t *src)
{
	*dst = *src;
	dst->id = nm_xstrdup(src->id);
	dst->source_id = nm_xstrdup(src->source_id);
	dst->target_id = nm_xstrdup(src->target_id);
	dst->metadata = nm_xstrdup(src->metadata);
}

void nm_fiber_copy(nm_fiber_t *dst, const nm_fiber_t *src)
{
	*dst = *src;
	dst->id = nm_xstrdup(src->id);
	dst->neuron_ids = (nm_strv_t){0};
	dst->synapse_ids = (nm_strv_t){0};
	dst->tags = (nm_strv_t){0};
	nm_strv_copy(&dst->neuron_ids, &src->neuron_ids);
	nm_strv_copy(&dst->synapse_ids, &src->synapse_ids);
	nm_strv_copy(&dst->tags, &src->tags);
	dst->anchor_neuron_id = nm_xstrdup(src->anchor_neuron_id);
	dst->summary = nm_xstrdup(src->summary);
	dst->metadata = nm_xstrdup(src->metadata);
}

void nm_brain_rec_copy(nm_brain_rec_t *dst, const nm_brain_rec_t *src)
{
	*dst = *src;
	dst->id = nm_xstrdup(src->id);
	dst->name = nm_xstrdup(src->name);
	dst->owner_id = nm_xstrdup(src->owner_id);
	dst->shared_with = (nm_strv_t){0};
	nm_strv_copy(&dst->shared_with, &src->shared_with);
	dst->metadata = nm_xstrdup(src->metadata);
	dst->file = nm_xstrdup(src->file);
}

bool nm_brain_rec_can_read(const nm_brain_rec_t *b, const char *principal, bool admin)
{
	if (admin || b->is_public)
		return true;
	if (!principal)
		return false;
	if (b->owner_id && strcmp(b->owner_id, principal) == 0)
		return true;
	return nm_strv_has(&b->shared_with, principal);
}

bool nm_brain_rec_can_write(const nm_brain_rec_t *b, const char *principal, bool admin)
{
	if (admin)
		return true;
	return principal && b->owner_id && strcmp(b->owner_id, principal) == 0;
}
