/*
 * codec_write.c — model structs to their wire shapes (PROTOCOL.md §2):
 * every field, in table order, optional ones as null. Thread-safe.
 */
#include "codec.h"

#include "isotime.h"

void nm_jw_neuron(nm_jw_t *w, const nm_neuron_t *n)
{
	nm_jw_obj(w);
	nm_jw_neuron_fields(w, n);
	nm_jw_obj_end(w);
}

void nm_jw_neuron_fields(nm_jw_t *w, const nm_neuron_t *n)
{
	nm_jw_key(w, "id");
	nm_jw_str(w, n->id);
	nm_jw_key(w, "type");
	nm_jw_str(w, nm_neuron_type_name(n->type));
	nm_jw_key(w, "content");
	nm_jw_strn(w, n->content, n->content_len);
	nm_jw_key(w, "metadata");
	nm_jw_raw(w, n->metadata);
	nm_jw_key(w, "created_at");
	nm_jw_time(w, n->created_at);
}

void nm_jw_state(nm_jw_t *w, const nm_state_t *s)
{
	nm_jw_obj(w);
	nm_jw_key(w, "neuron_id");
	nm_jw_str(w, s->neuron_id);
	nm_jw_key(w, "activation_level");
	nm_jw_real(w, s->activation_level);
	nm_jw_key(w, "access_frequency");
	nm_jw_int(w, s->access_frequency);
	nm_jw_key(w, "last_activated");
	nm_jw_time(w, s->last_activated);
	nm_jw_key(w, "decay_rate");
	nm_jw_real(w, s->decay_rate);
	nm_jw_key(w, "created_at");
	nm_jw_time(w, s->created_at);
	nm_jw_obj_end(w);
}

void nm_jw_synapse(nm_jw_t *w, const nm_synapse_t *s)
{
	nm_jw_obj(w);
	nm_jw_synapse_fields(w, s);
	nm_jw_obj_end(w);
}

void nm_jw_synapse_fields(nm_jw_t *w, const nm_synapse_t *s)
{
	nm_jw_key(w, "id");
	nm_jw_str(w, s->id);
	nm_jw_key(w, "source_id");
	nm_jw_str(w, s->source_id);
	nm_jw_key(w, "target_id");
	nm_jw_str(w, s->target_id);
	nm_jw_key(w, "type");
	nm_jw_str(w, nm_synapse_type_name(s->type));
	nm_jw_key(w, "weight");
	nm_jw_real(w, s->weight);
	nm_jw_key(w, "direction");
	nm_jw_str(w, nm_direction_name(s->direction));
	nm_jw_key(w, "metadata");
	nm_jw_raw(w, s->metadata);
	nm_jw_key(w, "reinforced_count");
	nm_jw_int(w, s->reinforced_count);
	nm_jw_key(w, "last_activated");
	nm_jw_time(w, s->last_activated);
	nm_jw_key(w, "created_at");
	nm_jw_time(w, s->created_at);
}

void nm_jw_fiber(nm_jw_t *w, const nm_fiber_t *f)
{
	nm_jw_obj(w);
	nm_jw_fiber_fields(w, f);
	nm_jw_obj_end(w);
}

void nm_jw_fiber_fields(nm_jw_t *w, const nm_fiber_t *f)
{
	nm_jw_key(w, "id");
	nm_jw_str(w, f->id);
	nm_jw_key(w, "neuron_ids");
	nm_jw_strv(w, &f->neuron_ids);
	nm_jw_key(w, "synapse_ids");
	nm_jw_strv(w, &f->synapse_ids);
	nm_jw_key(w, "anchor_neuron_id");
	nm_jw_str(w, f->anchor_neuron_id);
	nm_jw_key(w, "time_start");
	nm_jw_time(w, f->time_start);
	nm_jw_key(w, "time_end");
	nm_jw_time(w, f->time_end);
	nm_jw_key(w, "coherence");
	nm_jw_real(w, f->coherence);
	nm_jw_key(w, "salience");
	nm_jw_real(w, f->salience);
	nm_jw_key(w, "frequency");
	nm_jw_int(w, f->frequency);
	nm_jw_key(w, "summary");
	nm_jw_str(w, f->summary);
	nm_jw_key(w, "tags");
	nm_jw_strv(w, &f->tags);
	nm_jw_key(w, "metadata");
	nm_jw_raw(w, f->metadata);
	nm_jw_key(w, "created_at");
	nm_jw_time(w, f->created_at);
}

void nm_jw_config(nm_jw_t *w, const nm_config_t *c)
{
	nm_jw_obj(w);
	nm_jw_key(w, "decay_rate");
	nm_jw_real(w, c->decay_rate);
	nm_jw_key(w, "reinforcement_delta");
	nm_jw_real(w, c->reinforcement_delta);
	nm_jw_key(w, "activation_threshold");
	nm_jw_real(w, c->activation_threshold);
	nm_jw_key(w, "max_spread_hops");
	nm_jw_int(w, c->max_spread_hops);
	nm_jw_key(w, "max_context_tokens");
	nm_jw_int(w, c->max_context_tokens);
	nm_jw_key(w, "default_synapse_weight");
	nm_jw_real(w, c->default_synapse_weight);
	if (c->engine_mode >= 0) { /* only when the brain chose one (ENGINE.md §0) */
		nm_jw_key(w, "engine_mode");
		nm_jw_str(w, c->engine_mode ? "compat" : "fixed");
	}
	nm_jw_obj_end(w);
}

void nm_jw_brain(nm_jw_t *w, const nm_brain_rec_t *b, const nm_stats_t *st)
{
	int64_t updated = b->updated_at;
	if (st && st->updated_at != NM_TIME_NONE && st->updated_at > updated)
		updated = st->updated_at;
	nm_jw_obj(w);
	nm_jw_key(w, "id");
	nm_jw_str(w, b->id);
	nm_jw_key(w, "name");
	nm_jw_str(w, b->name);
	nm_jw_key(w, "owner_id");
	nm_jw_str(w, b->owner_id);
	nm_jw_key(w, "is_public");
	nm_jw_bool(w, b->is_public);
	nm_jw_key(w, "shared_with");
	nm_jw_strv(w, &b->shared_with);
	nm_jw_key(w, "config");
	nm_jw_config(w, &b->config);
	nm_jw_key(w, "metadata");
	nm_jw_raw(w, b->metadata);
	nm_jw_key(w, "neuron_count");
	nm_jw_int(w, st ? st->neurons : 0);
	nm_jw_key(w, "synapse_count");
	nm_jw_int(w, st ? st->synapses : 0);
	nm_jw_key(w, "fiber_count");
	nm_jw_int(w, st ? st->fibers : 0);
	nm_jw_key(w, "created_at");
	nm_jw_time(w, b->created_at);
	nm_jw_key(w, "updated_at");
	nm_jw_time(w, updated);
	nm_jw_obj_end(w);
}
