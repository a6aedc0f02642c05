/*
 * test_model.c — enum tables, string sets, copy/clear and the brain access
 * rules (lib/model.h; PROTOCOL.md §1.6, §6.5). The copy/clear tests are
 * meant to run under `make check` (ASan) as well: a double free or a leak
 * there fails them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "model.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ---- enums ---- */

static void expect_names(const nm_enum_t *e, const char *const *want, int n)
{
	cr_assert_eq(e->count, n, "enum %s has %d values, want %d", e->field, e->count, n);
	for (int i = 0; i < n; i++) {
		cr_expect_str_eq(e->names[i], want[i]);
		cr_expect_eq(nm_enum_parse(e, want[i], strlen(want[i])), i, "parse(\"%s\")", want[i]);
	}
}

Test(model_enum, tables_match_protocol)
{
	static const char *const nt[] = {"time", "spatial", "entity", "action", "state", "concept", "sensory", "intent"};
	static const char *const st[] = {"happened_at", "before", "after", "during", "at_location", "contains",
		"near", "caused_by", "leads_to", "enables", "prevents", "co_occurs", "related_to", "similar_to",
		"is_a", "has_property", "involves", "felt", "evokes"};
	static const char *const dir[] = {"uni", "bi"};
	static const char *const nb[] = {"out", "in", "both"};
	static const char *const ord[] = {"created_at", "salience", "frequency"};
	static const char *const mt[] = {"fact", "decision", "preference", "todo", "insight", "context",
		"instruction", "error", "workflow", "reference"};
	static const char *const conf[] = {"verified", "high", "medium", "low", "inferred"};
	expect_names(&nm_enum_neuron_type, nt, 8);
	expect_names(&nm_enum_synapse_type, st, 19);
	expect_names(&nm_enum_direction, dir, 2);
	expect_names(&nm_enum_nb_dir, nb, 3);
	expect_names(&nm_enum_fiber_order, ord, 3);
	expect_names(&nm_enum_memory_type, mt, 10);
	expect_names(&nm_enum_confidence, conf, 5);
	cr_expect_eq(NM_NEURON__COUNT, 8);
	cr_expect_eq(NM_SYN__COUNT, 19);
	cr_expect_eq(NM_MEM__COUNT, 10);
	cr_expect_str_eq(nm_neuron_type_name(NM_NEURON_INTENT), "intent");
	cr_expect_str_eq(nm_synapse_type_name(NM_SYN_EVOKES), "evokes");
	cr_expect_str_eq(nm_synapse_type_name(NM_SYN_CO_OCCURS), "co_occurs");
	cr_expect_str_eq(nm_direction_name(NM_DIR_BI), "bi");
}

Test(model_enum, field_names)
{
	cr_expect_str_eq(nm_enum_neuron_type.field, "type");
	cr_expect_str_eq(nm_enum_synapse_type.field, "type");
	cr_expect_str_eq(nm_enum_direction.field, "direction");
	cr_expect_str_eq(nm_enum_nb_dir.field, "direction");
	cr_expect_str_eq(nm_enum_fiber_order.field, "order_by");
}

Test(model_enum, parse_is_exact)
{
	const nm_enum_t *e = &nm_enum_neuron_type;
	cr_expect_eq(nm_enum_parse(e, S("time")), NM_NEURON_TIME);
	cr_expect_eq(nm_enum_parse(e, S("Time")), -1);
	cr_expect_eq(nm_enum_parse(e, S("TIME")), -1);
	cr_expect_eq(nm_enum_parse(e, S("tim")), -1);
	cr_expect_eq(nm_enum_parse(e, S("times")), -1);
	cr_expect_eq(nm_enum_parse(e, S(" time")), -1);
	cr_expect_eq(nm_enum_parse(e, S("time ")), -1);
	cr_expect_eq(nm_enum_parse(e, S("")), -1);
	cr_expect_eq(nm_enum_parse(e, S("time\0")), -1, "a trailing NUL is part of the value");
	/* length decides, not NUL termination */
	cr_expect_eq(nm_enum_parse(e, "timeXYZ", 4), NM_NEURON_TIME);
	cr_expect_eq(nm_enum_parse(&nm_enum_synapse_type, S("is_a")), NM_SYN_IS_A);
	cr_expect_eq(nm_enum_parse(&nm_enum_synapse_type, S("is")), -1);
	cr_expect_eq(nm_enum_parse(&nm_enum_direction, S("both")), -1);
	cr_expect_eq(nm_enum_parse(&nm_enum_nb_dir, S("both")), NM_NB_BOTH);
	cr_expect_eq(nm_enum_parse(&nm_enum_fiber_order, S("salience")), NM_ORDER_SALIENCE);
}

Test(model_enum, allowed_lists)
{
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_neuron_type),
	                 "time, spatial, entity, action, state, concept, sensory, intent");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_synapse_type),
	                 "happened_at, before, after, during, at_location, contains, near, caused_by, leads_to, "
	                 "enables, prevents, co_occurs, related_to, similar_to, is_a, has_property, involves, felt, "
	                 "evokes");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_direction), "uni, bi");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_nb_dir), "out, in, both");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_fiber_order), "created_at, salience, frequency");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_memory_type),
	                 "fact, decision, preference, todo, insight, context, instruction, error, workflow, reference");
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_confidence), "verified, high, medium, low, inferred");
	/* stable across calls (built once) */
	cr_expect_eq(nm_enum_allowed(&nm_enum_direction), nm_enum_allowed(&nm_enum_direction));
	cr_expect_str_eq(nm_enum_allowed(&nm_enum_direction), "uni, bi");
}

Test(model_enum, default_direction)
{
	for (int t = 0; t < NM_SYN__COUNT; t++) {
		bool bi = t == NM_SYN_CO_OCCURS || t == NM_SYN_RELATED_TO || t == NM_SYN_SIMILAR_TO || t == NM_SYN_NEAR;
		cr_expect_eq(nm_synapse_default_direction((nm_synapse_type_t)t), bi ? NM_DIR_BI : NM_DIR_UNI, "type %s",
		             nm_synapse_type_name((nm_synapse_type_t)t));
	}
}

Test(model, config_defaults)
{
	cr_expect_float_eq(nm_config_default.decay_rate, 0.1, 0);
	cr_expect_float_eq(nm_config_default.reinforcement_delta, 0.05, 0);
	cr_expect_float_eq(nm_config_default.activation_threshold, 0.2, 0);
	cr_expect_eq(nm_config_default.max_spread_hops, 4);
	cr_expect_eq(nm_config_default.max_context_tokens, 1500);
	cr_expect_float_eq(nm_config_default.default_synapse_weight, 0.5, 0);
}

/* ---- string sets ---- */

Test(model_strv, add_keeps_first_seen_order_and_dedups)
{
	nm_strv_t sv = {0};
	const char *in[] = {"b", "a", "b", "c", "a", "", "", "n-1", "n-10"};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		nm_strv_add(&sv, in[i]);
	const char *want[] = {"b", "a", "c", "", "n-1", "n-10"};
	cr_assert_eq(sv.n, 6);
	for (size_t i = 0; i < 6; i++)
		cr_expect_str_eq(sv.v[i], want[i]);
	cr_expect(nm_strv_has(&sv, "n-1"));
	cr_expect(nm_strv_has(&sv, ""));
	cr_expect_not(nm_strv_has(&sv, "n"));
	cr_expect_not(nm_strv_has(&sv, "n-100"));
	cr_expect_not(nm_strv_has(&sv, "B"));
	nm_strv_clear(&sv);
	cr_expect_eq(sv.n, 0);
	cr_expect_null(sv.v);
	cr_expect_not(nm_strv_has(&sv, "b"));
}

Test(model_strv, add_copies)
{
	nm_strv_t sv = {0};
	char buf[8] = "abc";
	nm_strv_add(&sv, buf);
	buf[0] = 'X';
	cr_expect_str_eq(sv.v[0], "abc");
	cr_expect_neq(sv.v[0], buf);
	nm_strv_clear(&sv);
}

Test(model_strv, many_elements)
{
	nm_strv_t sv = {0};
	char k[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "t%d", i);
		nm_strv_add(&sv, k);
		nm_strv_add(&sv, k);
	}
	cr_assert_eq(sv.n, 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "t%d", i);
		cr_assert_str_eq(sv.v[i], k);
	}
	nm_strv_clear(&sv);
}

Test(model_strv, pack_unpack_round_trip)
{
	nm_strv_t sv = {0};
	nm_strv_add(&sv, "n-1");
	nm_strv_add(&sv, "");
	nm_strv_add(&sv, "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng");
	nm_strv_add(&sv, "x");
	size_t len = 0;
	char *blob = nm_strv_pack(&sv, &len);
	cr_assert_not_null(blob);
	cr_expect_eq(len, 4 + 1 + 12 + 2);
	cr_expect_eq(memcmp(blob, "n-1\0\0\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng\0x\0", len), 0);

	nm_strv_t back = {0};
	nm_strv_unpack(&back, blob, len);
	cr_assert_eq(back.n, sv.n);
	for (size_t i = 0; i < sv.n; i++)
		cr_expect_str_eq(back.v[i], sv.v[i]);
	free(blob);

	/* unpack appends (and keeps set semantics) */
	nm_strv_t more = {0};
	nm_strv_add(&more, "x");
	nm_strv_add(&more, "y");
	blob = nm_strv_pack(&more, &len);
	nm_strv_unpack(&back, blob, len);
	cr_expect_eq(back.n, 5);
	cr_expect_str_eq(back.v[4], "y");
	free(blob);
	nm_strv_clear(&more);
	nm_strv_clear(&back);
	nm_strv_clear(&sv);
}

Test(model_strv, pack_empty)
{
	nm_strv_t sv = {0};
	size_t len = 99;
	char *blob = nm_strv_pack(&sv, &len);
	cr_assert_not_null(blob, "an empty set packs to an empty (non-NULL) blob");
	cr_expect_eq(len, 0);
	nm_strv_t back = {0};
	nm_strv_unpack(&back, blob, len);
	cr_expect_eq(back.n, 0);
	free(blob);
	nm_strv_unpack(&back, NULL, 0);
	cr_expect_eq(back.n, 0);
}

Test(model_strv, unpack_without_final_nul)
{
	/* a blob cut short keeps its last element instead of reading past len */
	nm_strv_t sv = {0};
	char blob[5];
	memcpy(blob, "ab\0cd", 5);
	nm_strv_unpack(&sv, blob, 5);
	cr_assert_eq(sv.n, 2);
	cr_expect_str_eq(sv.v[0], "ab");
	cr_expect_str_eq(sv.v[1], "cd");
	nm_strv_clear(&sv);
}

Test(model_strv, copy)
{
	nm_strv_t a = {0}, b = {0};
	nm_strv_add(&a, "1");
	nm_strv_add(&a, "2");
	nm_strv_copy(&b, &a);
	cr_assert_eq(b.n, 2);
	cr_expect_neq(b.v[0], a.v[0], "copy must not share strings");
	nm_strv_clear(&a);
	cr_expect_str_eq(b.v[0], "1");
	cr_expect_str_eq(b.v[1], "2");
	nm_strv_clear(&b);
}

/* ---- object copy / clear ---- */

Test(model_obj, neuron_copy_is_deep_incl_nul_content)
{
	nm_neuron_t src = {
		.id = strdup("n-1"), .type = NM_NEURON_ENTITY, .content = malloc(4), .content_len = 3,
		.metadata = strdup("{\"a\":1}"), .created_at = 1767323045000006LL,
	};
	memcpy(src.content, "a\0b", 4);
	nm_neuron_t dst = {0};
	nm_neuron_copy(&dst, &src);
	cr_expect_neq(dst.id, src.id);
	cr_expect_neq(dst.content, src.content);
	cr_expect_neq(dst.metadata, src.metadata);
	cr_expect_str_eq(dst.id, "n-1");
	cr_expect_eq(dst.type, NM_NEURON_ENTITY);
	cr_expect_eq(dst.content_len, 3);
	cr_expect_eq(memcmp(dst.content, "a\0b", 3), 0);
	cr_expect_str_eq(dst.metadata, "{\"a\":1}");
	cr_expect_eq(dst.created_at, 1767323045000006LL);
	nm_neuron_clear(&src);
	cr_expect_null(src.id);
	cr_expect_eq(src.content_len, 0);
	cr_expect_str_eq(dst.id, "n-1");
	nm_neuron_clear(&dst);
	nm_neuron_clear(&dst); /* clear of a cleared struct is harmless */
}

Test(model_obj, synapse_copy_clear)
{
	nm_synapse_t src = {
		.id = strdup("s"), .source_id = strdup("a"), .target_id = strdup("b"), .type = NM_SYN_NEAR,
		.weight = 0.7, .direction = NM_DIR_BI, .metadata = strdup("{}"), .reinforced_count = 3,
		.last_activated = NM_TIME_NONE, .created_at = 5,
	};
	nm_synapse_t dst = {0};
	nm_synapse_copy(&dst, &src);
	nm_synapse_clear(&src);
	cr_expect_str_eq(dst.id, "s");
	cr_expect_str_eq(dst.source_id, "a");
	cr_expect_str_eq(dst.target_id, "b");
	cr_expect_eq(dst.type, NM_SYN_NEAR);
	cr_expect_float_eq(dst.weight, 0.7, 0);
	cr_expect_eq(dst.direction, NM_DIR_BI);
	cr_expect_str_eq(dst.metadata, "{}");
	cr_expect_eq(dst.reinforced_count, 3);
	cr_expect_eq(dst.last_activated, NM_TIME_NONE);
	cr_expect_eq(dst.created_at, 5);
	nm_synapse_clear(&dst);
	cr_expect_null(dst.id);
}

Test(model_obj, fiber_copy_clear)
{
	nm_fiber_t src = {.id = strdup("f"), .anchor_neuron_id = strdup("n1"), .time_start = 1, .time_end = 2,
		.coherence = 0.25, .salience = 0.5, .frequency = 9, .summary = NULL, .metadata = strdup("{}"),
		.created_at = 3};
	nm_strv_add(&src.neuron_ids, "n1");
	nm_strv_add(&src.neuron_ids, "n2");
	nm_strv_add(&src.synapse_ids, "s1");
	nm_strv_add(&src.tags, "t");
	nm_fiber_t dst = {0};
	nm_fiber_copy(&dst, &src);
	cr_expect_neq(dst.neuron_ids.v, src.neuron_ids.v);
	nm_fiber_clear(&src);
	cr_expect_eq(src.neuron_ids.n, 0);
	cr_expect_str_eq(dst.id, "f");
	cr_assert_eq(dst.neuron_ids.n, 2);
	cr_expect_str_eq(dst.neuron_ids.v[1], "n2");
	cr_assert_eq(dst.synapse_ids.n, 1);
	cr_expect_str_eq(dst.synapse_ids.v[0], "s1");
	cr_assert_eq(dst.tags.n, 1);
	cr_expect_str_eq(dst.anchor_neuron_id, "n1");
	cr_expect_null(dst.summary, "NULL summary stays NULL (JSON null)");
	cr_expect_eq(dst.time_start, 1);
	cr_expect_eq(dst.time_end, 2);
	cr_expect_eq(dst.frequency, 9);
	cr_expect_float_eq(dst.salience, 0.5, 0);
	nm_fiber_clear(&dst);

	/* a summary string is copied */
	nm_fiber_t a = {.id = strdup("g"), .anchor_neuron_id = strdup("n"), .summary = strdup("sum"),
		.metadata = strdup("{}")};
	nm_fiber_t b = {0};
	nm_fiber_copy(&b, &a);
	cr_expect_neq(b.summary, a.summary);
	nm_fiber_clear(&a);
	cr_expect_str_eq(b.summary, "sum");
	nm_fiber_clear(&b);
}

Test(model_obj, brain_rec_copy_clear)
{
	nm_brain_rec_t src = {.id = strdup("b"), .name = strdup("Brain"), .owner_id = strdup("alice"),
		.is_public = true, .config = nm_config_default, .metadata = strdup("{}"), .created_at = 1,
		.updated_at = 2, .file = strdup("b-file")};
	src.config.max_spread_hops = 7;
	nm_strv_add(&src.shared_with, "bob");
	nm_brain_rec_t dst = {0};
	nm_brain_rec_copy(&dst, &src);
	nm_brain_rec_clear(&src);
	cr_expect_null(src.id);
	cr_expect_str_eq(dst.id, "b");
	cr_expect_str_eq(dst.name, "Brain");
	cr_expect_str_eq(dst.owner_id, "alice");
	cr_expect(dst.is_public);
	cr_assert_eq(dst.shared_with.n, 1);
	cr_expect_str_eq(dst.shared_with.v[0], "bob");
	cr_expect_eq(dst.config.max_spread_hops, 7);
	cr_expect_str_eq(dst.metadata, "{}");
	cr_expect_str_eq(dst.file, "b-file");
	cr_expect_eq(dst.created_at, 1);
	cr_expect_eq(dst.updated_at, 2);
	nm_brain_rec_clear(&dst);

	/* NULL owner and file copy as NULL */
	nm_brain_rec_t n = {.id = strdup("c"), .name = strdup("C"), .metadata = strdup("{}")};
	nm_brain_rec_t m = {0};
	nm_brain_rec_copy(&m, &n);
	cr_expect_null(m.owner_id);
	cr_expect_null(m.file);
	nm_brain_rec_clear(&n);
	nm_brain_rec_clear(&m);
}

Test(model_obj, state_clear)
{
	nm_state_t s = {.neuron_id = strdup("n"), .activation_level = 0.5, .decay_rate = 0.1};
	nm_state_clear(&s);
	cr_expect_null(s.neuron_id);
	cr_expect_float_eq(s.activation_level, 0, 0);
}

/* ---- access rules (PROTOCOL.md §6.5, §7.3) ---- */

static nm_brain_rec_t brain(const char *owner, bool pub, const char *shared)
{
	nm_brain_rec_t b = {.id = "b", .name = "B", .owner_id = (char *)owner, .is_public = pub};
	if (shared)
		nm_strv_add(&b.shared_with, shared);
	return b;
}

Test(model_access, admin_always)
{
	nm_brain_rec_t b = brain("alice", false, NULL);
	cr_expect(nm_brain_rec_can_read(&b, "root", true));
	cr_expect(nm_brain_rec_can_write(&b, "root", true));
	cr_expect(nm_brain_rec_can_read(&b, NULL, true));
	cr_expect(nm_brain_rec_can_write(&b, NULL, true));
}

Test(model_access, owner_reads_and_writes)
{
	nm_brain_rec_t b = brain("alice", false, NULL);
	cr_expect(nm_brain_rec_can_read(&b, "alice", false));
	cr_expect(nm_brain_rec_can_write(&b, "alice", false));
	cr_expect_not(nm_brain_rec_can_read(&b, "Alice", false), "principals compare exactly");
	cr_expect_not(nm_brain_rec_can_write(&b, "alic", false));
	cr_expect_not(nm_brain_rec_can_read(&b, "mallory", false));
	cr_expect_not(nm_brain_rec_can_write(&b, "mallory", false));
}

Test(model_access, public_grants_read_only)
{
	nm_brain_rec_t b = brain("alice", true, NULL);
	cr_expect(nm_brain_rec_can_read(&b, "mallory", false));
	cr_expect_not(nm_brain_rec_can_write(&b, "mallory", false));
	cr_expect(nm_brain_rec_can_read(&b, NULL, false), "public is readable without a principal");
	cr_expect_not(nm_brain_rec_can_write(&b, NULL, false));
}

Test(model_access, shared_with_grants_read_only)
{
	nm_brain_rec_t b = brain("alice", false, "bob");
	cr_expect(nm_brain_rec_can_read(&b, "bob", false));
	cr_expect_not(nm_brain_rec_can_write(&b, "bob", false), "shared_with grants read, not write (§7.3)");
	cr_expect_not(nm_brain_rec_can_read(&b, "carol", false));
	nm_strv_clear(&b.shared_with);
}

Test(model_access, no_owner)
{
	nm_brain_rec_t b = brain(NULL, false, NULL);
	cr_expect_not(nm_brain_rec_can_read(&b, "alice", false));
	cr_expect_not(nm_brain_rec_can_write(&b, "alice", false));
	cr_expect_not(nm_brain_rec_can_read(&b, NULL, false));
	cr_expect_not(nm_brain_rec_can_write(&b, NULL, false));
}

Test(model_access, no_principal)
{
	nm_brain_rec_t b = brain("alice", false, "bob");
	cr_expect_not(nm_brain_rec_can_read(&b, NULL, false));
	cr_expect_not(nm_brain_rec_can_write(&b, NULL, false));
	nm_strv_clear(&b.shared_with);
}
