/* Receiver-side measurements and their deterministic reports. */
#include "metrics.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hometric.h"
#include "um3n.h"

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 1024;
	void *q;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	q = realloc(*p, n * elem);
	if (!q)
		return UM3N_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Is the flow sending across the handover instant (its figures are wanted)? */
static bool active_at(const struct sim_metrics *m, const struct sim_flow_metrics *f,
		      uint64_t end_us)
{
	uint64_t stop = f->stop_us < end_us ? f->stop_us : end_us;

	return m->handover && f->start_us < m->ho_at_us && stop > m->ho_at_us;
}

static int init_flow(struct sim_metrics *m, struct sim_flow_metrics *f)
{
	sim_ring_init(&f->pkts, sizeof(struct sim_pktrec));
	sim_ring_init(&f->frames, sizeof(struct sim_frame));
	if (sim_quant_init(&f->owd, SIM_QUANT_EXACT_MAX))
		return UM3N_ENOMEM;
	f->ho_active = active_at(m, f, m->duration_us);
	for (int d = 0; f->ho_active && d < 2; d++)
		if (sim_quant_init(&f->ho_base_pre[d], SIM_QUANT_EXACT_MAX) ||
		    sim_quant_init(&f->ho_base_all[d], SIM_QUANT_EXACT_MAX))
			return UM3N_ENOMEM;
	return 0;
}

int sim_metrics_init(struct sim_metrics *m, const struct sim_scenario *sc, uint64_t seed)
{
	char header[32 + (SIM_MAX_LINKS + SIM_MAX_FLOWS) * (SIM_NAME_MAX + 12)];
	size_t hl;

	memset(m, 0, sizeof(*m));
	m->seed = seed;
	m->duration_us = sc->duration_us;
	m->measure_from_us = sc->measure_from_us;
	m->n_secs = (size_t)((sc->duration_us + 999999) / 1000000);
	m->n_flows = sc->n_flows;
	m->n_links = sc->n_links;
	m->horizon_us = SIM_HORIZON_US;
	if (sim_scenario_handover(sc, &m->ho_at_us)) {
		m->handover = true;
		m->ho_from_us = m->ho_at_us > sc->handover_before_us
					? m->ho_at_us - sc->handover_before_us
					: 0;
		m->ho_to_us = m->ho_at_us + sc->handover_after_us;
	}
	hl = (size_t)snprintf(header, sizeof(header), "time_s");
	for (size_t i = 0; i < m->n_links; i++) {
		strcpy(m->links[i].name, sc->links[i].name);
		hl += (size_t)snprintf(header + hl, sizeof(header) - hl, ",link.%s.mbps",
				       sc->links[i].name);
	}
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];
		const struct sim_flow_spec *fs = &sc->flows[i];

		strcpy(f->name, fs->name);
		f->video = fs->type == SIM_FLOW_VIDEO;
		f->up = fs->dir == SIM_DIR_UP;
		m->any_video |= f->video;
		f->start_us = fs->start_us;
		f->stop_us = fs->stop_us;
		f->playout_us = fs->playout_us;
		if (init_flow(m, f))
			return UM3N_ENOMEM;
		hl += (size_t)snprintf(header + hl, sizeof(header) - hl, ",flow.%s.mbps", fs->name);
	}
	assert(hl < sizeof(header));
	return sim_series_init(&m->series, m->n_links + m->n_flows, m->n_secs, header);
}

void sim_metrics_set_exact(struct sim_metrics *m)
{
	m->exact = true;
	m->horizon_us = UINT64_MAX;
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];

		assert(f->sent_pkts == 0 && "before any sample");
		f->owd.max_exact = SIZE_MAX;
		for (int d = 0; f->ho_active && d < 2; d++)
			f->ho_base_pre[d].max_exact = f->ho_base_all[d].max_exact = SIZE_MAX;
	}
}

void sim_metrics_set_histogram(struct sim_metrics *m)
{
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];

		assert(f->sent_pkts == 0 && "before any sample");
		f->owd.max_exact = 0;
		for (int d = 0; f->ho_active && d < 2; d++)
			f->ho_base_pre[d].max_exact = f->ho_base_all[d].max_exact = 0;
	}
}

void sim_metrics_free(struct sim_metrics *m)
{
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];

		sim_ring_free(&f->pkts);
		sim_ring_free(&f->frames);
		sim_quant_free(&f->owd);
		for (int d = 0; d < 2; d++) {
			sim_quant_free(&f->ho_base_pre[d]);
			sim_quant_free(&f->ho_base_all[d]);
			free(f->ho_pkts[d]);
		}
	}
	sim_series_free(&m->series);
	memset(m, 0, sizeof(*m));
}

/* The fate of a packet is settled (it is retired, or the run is over): count
 * it. Losses only when judged (sent at least SIM_SETTLE_US before the end);
 * the handover's inputs whatever its send time, as hometric.h wants them. */
static int settle_pkt(struct sim_metrics *m, struct sim_flow_metrics *f, const struct sim_pktrec *r,
		      bool judged)
{
	uint64_t t = r->send_us;

	if (!r->sent)
		return 0;
	if (judged) {
		f->judged++;
		if (!r->seen) {
			f->lost++;
			if (m->handover && t >= m->ho_from_us && t <= m->ho_to_us) {
				if (!f->ho_lost)
					f->ho_lost_first_us = t;
				f->ho_lost_last_us = t;
				f->ho_lost++;
			}
		}
	}
	if (f->ho_active) {
		int d = r->up;
		uint64_t lead = m->ho_from_us > m->horizon_us ? m->ho_from_us - m->horizon_us : 0;

		f->ho_dir_any[d] = true;
		if (r->seen) {
			uint64_t owd = r->recv_us > t ? r->recv_us - t : 0; /* as hometric.c */

			sim_quant_add(&f->ho_base_all[d], owd);
			if (t < m->ho_at_us)
				sim_quant_add(&f->ho_base_pre[d], owd);
		}
		/* Sent earlier than lead, a packet is settled before the window opens. */
		if (t >= lead && t <= m->ho_to_us) {
			if (f->ho_n[d] == f->ho_cap[d] &&
			    grow((void **)&f->ho_pkts[d], &f->ho_cap[d], f->ho_n[d] + 1,
				 sizeof(struct sim_hometric_pkt)))
				return UM3N_ENOMEM;
			f->ho_pkts[d][f->ho_n[d]].send_us = t;
			f->ho_pkts[d][f->ho_n[d]++].recv_us = r->seen ? r->recv_us
								      : SIM_HOMETRIC_LOST;
		}
	}
	return 0;
}

static void settle_frame(struct sim_flow_metrics *f, const struct sim_frame *fr, uint64_t end_us)
{
	uint64_t due = fr->send_us + f->playout_us + SIM_FRAME_SLACK_US;

	if (!fr->need || due + SIM_SETTLE_US > end_us)
		return;
	f->frames_judged++;
	if (fr->got < fr->need || fr->done_us > due)
		f->late_frames++;
}

/* Judges what is settled at now_us: packets sent horizon_us ago, frames due
 * SIM_SETTLE_US ago (a frame's verdict is fixed once it is due). */
static int retire(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t now_us)
{
	const struct sim_pktrec *r;
	const struct sim_frame *fr;

	if (m->exact)
		return 0;
	while ((r = sim_ring_front(&f->pkts)) && now_us >= r->send_us &&
	       now_us - r->send_us >= m->horizon_us) {
		if (settle_pkt(m, f, r, true))
			return UM3N_ENOMEM;
		sim_ring_pop(&f->pkts);
	}
	while ((fr = sim_ring_front(&f->frames)) &&
	       fr->send_us + f->playout_us + SIM_FRAME_SLACK_US + SIM_SETTLE_US <= now_us) {
		settle_frame(f, fr, now_us);
		sim_ring_pop(&f->frames);
	}
	return 0;
}

int sim_metrics_sent(struct sim_metrics *m, size_t flow, uint32_t seq, uint64_t send_us,
		     uint32_t bytes, bool up, uint32_t frame_id, uint16_t frame_pkts)
{
	struct sim_flow_metrics *f = &m->flows[flow];
	struct sim_pktrec *r;
	struct sim_frame *fr;

	assert(flow < m->n_flows);
	assert(seq >= f->pkts.base && "sequence numbers do not go back");
	if (sim_ring_put(&f->pkts, seq, (void **)&r))
		return UM3N_ENOMEM;
	r->send_us = send_us;
	r->up = up;
	r->sent = true;
	f->sent_pkts++;
	f->sent_bytes += bytes;
	if (f->video && frame_pkts && frame_id >= f->frames.base) {
		if (sim_ring_put(&f->frames, frame_id, (void **)&fr))
			return UM3N_ENOMEM;
		fr->send_us = send_us;
		fr->need = frame_pkts;
	}
	return retire(m, f, send_us);
}

uint64_t sim_metrics_send_time(const struct sim_metrics *m, size_t flow, uint32_t seq,
			       uint64_t fallback)
{
	const struct sim_pktrec *r = sim_ring_at(&m->flows[flow].pkts, seq);

	return r && r->sent ? r->send_us : fallback;
}

static void note_gap(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t now_us)
{
	uint64_t from = f->any_rx ? f->last_rx_us : f->start_us, to = now_us;

	if (from < m->ho_from_us)
		from = m->ho_from_us;
	if (to > m->ho_to_us)
		to = m->ho_to_us;
	if (to > from && to - from > f->gap_us)
		f->gap_us = to - from;
}

void sim_metrics_received(struct sim_metrics *m, size_t flow, int link, bool up, uint64_t now_us,
			  uint32_t seq, uint64_t send_us, uint32_t bytes, uint32_t frame_id)
{
	struct sim_flow_metrics *f = &m->flows[flow];
	struct sim_pktrec *r = sim_ring_at(&f->pkts, seq);
	struct sim_frame *fr;
	uint64_t sec = now_us / 1000000;

	if (!r || r->seen) {
		f->dup_pkts++; /* never sent (corrupt), a second copy, or judged already */
		f->stale_pkts += seq < f->pkts.base;
		return;
	}
	r->seen = true;
	r->recv_us = now_us;
	if (m->handover)
		note_gap(m, f, now_us);
	f->last_rx_us = now_us;
	if (f->any_dir[up] && seq < f->max_seq[up]) {
		f->reordered++;
		if (f->max_seq[up] - seq > f->reorder_extent)
			f->reorder_extent = f->max_seq[up] - seq;
	}
	if (!f->any_dir[up] || seq > f->max_seq[up])
		f->max_seq[up] = seq;
	f->any_dir[up] = f->any_rx = true;
	f->recv_pkts++;
	if (now_us >= f->start_us && now_us < f->stop_us)
		f->recv_bytes += bytes;
	sim_series_add(&m->series, sec, m->n_links + flow, bytes);
	sim_quant_add(&f->owd, now_us >= send_us ? now_us - send_us : 0);
	if (f->video && (fr = sim_ring_at(&f->frames, frame_id)) && ++fr->got == fr->need)
		fr->done_us = now_us;
	if (link >= 0 && (size_t)link < m->n_links) {
		struct sim_link_metrics *l = &m->links[link];
		bool in_window = now_us >= m->measure_from_us;

		if (in_window)
			*(up ? &l->up_bytes : &l->down_bytes) += bytes;
		sim_series_add(&m->series, sec, (size_t)link, bytes);
	}
}

/* Nearest-rank percentile in ms. */
static double percentile_ms(struct sim_quant *q, double p)
{
	return sim_quant_percentile(q, p) / 1000.0;
}

/* The run is over: judge what is still held, in sequence order. */
static int finish_held(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t end_us)
{
	const struct sim_pktrec *r;
	const struct sim_frame *fr;

	while ((r = sim_ring_front(&f->pkts))) {
		if (settle_pkt(m, f, r, r->send_us + SIM_SETTLE_US <= end_us))
			return UM3N_ENOMEM;
		sim_ring_pop(&f->pkts);
	}
	f->loss = f->judged ? (double)f->lost / (double)f->judged : 0;
	while ((fr = sim_ring_front(&f->frames))) {
		settle_frame(f, fr, end_us);
		sim_ring_pop(&f->frames);
	}
	return 0;
}

/* hometric.h's figures of each direction of a flow active at the handover,
 * from the packets kept and the base from all of them; the flow's are the
 * maximum over its directions. */
static int finish_hometric(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t end_us)
{
	struct sim_hometric_window w = {m->ho_from_us, m->ho_at_us, m->ho_to_us};
	bool any = false;

	if (w.to_us > end_us)
		w.to_us = end_us > w.at_us ? end_us : w.at_us;
	for (int up = 0; up < 2; up++) {
		struct sim_hometric r;
		uint64_t base = 0;

		if (!f->ho_dir_any[up])
			continue;
		if (sim_quant_count(&f->ho_base_pre[up]))
			base = sim_quant_percentile(&f->ho_base_pre[up], 0.5);
		else if (sim_quant_count(&f->ho_base_all[up]))
			base = sim_quant_percentile(&f->ho_base_all[up], 0.5);
		if (sim_hometric_compute_base(f->ho_pkts[up], f->ho_n[up], &w, base, &r))
			return UM3N_ENOMEM;
		if (r.added_gap_us > f->ho_added_gap_us)
			f->ho_added_gap_us = r.added_gap_us;
		for (int k = 0; k < 3; k++) {
			int64_t v = k == 0   ? r.extra_p50_us
				    : k == 1 ? r.extra_p99_us
					     : r.extra_max_us;

			if (!any || v > f->ho_extra_us[k])
				f->ho_extra_us[k] = v;
		}
		any = true;
	}
	return 0;
}

int sim_metrics_finish(struct sim_metrics *m, uint64_t end_us)
{
	bool any_ho = false;

	assert(end_us <= m->duration_us); /* so active_at(end_us) implies ho_active */
	m->end_us = end_us;
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];
		uint64_t stop = f->stop_us < end_us ? f->stop_us : end_us;
		bool active_at_ho = active_at(m, f, end_us);

		f->owd_p50_ms = percentile_ms(&f->owd, 0.50);
		f->owd_p99_ms = percentile_ms(&f->owd, 0.99);
		f->goodput_mbps = stop > f->start_us
					  ? (double)f->recv_bytes * 8 / (double)(stop - f->start_us)
					  : 0;
		m->goodput_mbps += f->goodput_mbps;
		if (finish_held(m, f, end_us))
			return UM3N_ENOMEM;
		if (f->video)
			m->late_frames += f->late_frames;
		if (active_at_ho) {
			note_gap(m, f, end_us);
			if (f->gap_us / 1000.0 > m->ho_gap_ms)
				m->ho_gap_ms = f->gap_us / 1000.0;
			if (finish_hometric(m, f, end_us))
				return UM3N_ENOMEM;
			if (f->ho_added_gap_us / 1000.0 > m->ho_added_gap_ms)
				m->ho_added_gap_ms = f->ho_added_gap_us / 1000.0;
			for (int k = 0; k < 3; k++)
				if (!any_ho || f->ho_extra_us[k] / 1000.0 > m->ho_extra_ms[k])
					m->ho_extra_ms[k] = f->ho_extra_us[k] / 1000.0;
			any_ho = true;
			m->ho_lost += f->ho_lost;
			if (f->ho_lost) {
				double w = (f->ho_lost_last_us - f->ho_lost_first_us) / 1000.0;

				if (w > m->ho_loss_window_ms)
					m->ho_loss_window_ms = w;
			}
		}
	}
	for (size_t i = 0; i < m->n_links; i++) {
		struct sim_link_metrics *l = &m->links[i];
		uint64_t win = end_us > m->measure_from_us ? end_us - m->measure_from_us : 1;

		l->goodput_mbps = (double)(l->down_bytes + l->up_bytes) * 8 / (double)win;
	}
	return 0;
}

int sim_metrics_write_json(const struct sim_metrics *m, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return UM3N_ENOENT;
	fprintf(f, "{\n  \"seed\": %llu,\n  \"duration_s\": %.3f,\n  \"goodput_mbps\": %.3f,\n",
		(unsigned long long)m->seed, m->end_us / 1e6, m->goodput_mbps);
	fprintf(f, "  \"links\": {");
	for (size_t i = 0; i < m->n_links; i++)
		fprintf(f, "%s\n    \"%s\": {\"goodput_mbps\": %.3f}", i ? "," : "",
			m->links[i].name, m->links[i].goodput_mbps);
	fprintf(f, "\n  },\n  \"flows\": {");
	for (size_t i = 0; i < m->n_flows; i++) {
		const struct sim_flow_metrics *fl = &m->flows[i];

		fprintf(f,
			"%s\n    \"%s\": {\"goodput_mbps\": %.3f, \"loss\": %.6f, "
			"\"lost_packets\": %llu, \"owd_p50_ms\": %.3f, \"owd_p99_ms\": %.3f, "
			"\"reordered\": %llu",
			i ? "," : "", fl->name, fl->goodput_mbps, fl->loss,
			(unsigned long long)fl->lost, fl->owd_p50_ms, fl->owd_p99_ms,
			(unsigned long long)fl->reordered);
		if (fl->aggregate) /* the other flows' lines stay as they were */
			fprintf(f,
				", \"reorder_extent\": %lu, \"hold_p50_ms\": %.3f, "
				"\"hold_p99_ms\": %.3f",
				(unsigned long)fl->reorder_extent, fl->hold_p50_ms,
				fl->hold_p99_ms);
		fprintf(f, "}");
	}
	fprintf(f, "\n  }");
	if (m->handover)
		fprintf(f,
			",\n  \"handover\": {\"gap_ms\": %.3f, \"lost_packets\": %llu, "
			"\"added_gap_ms\": %.3f, \"extra_delay_ms\": {\"p50\": %.3f, \"p99\": "
			"%.3f, "
			"\"max\": %.3f}}",
			m->ho_gap_ms, (unsigned long long)m->ho_lost, m->ho_added_gap_ms,
			m->ho_extra_ms[0], m->ho_extra_ms[1], m->ho_extra_ms[2]);
	if (m->any_video)
		fprintf(f, ",\n  \"video\": {\"late_frames\": %llu}",
			(unsigned long long)m->late_frames);
	fprintf(f, "\n}\n");
	return fclose(f) == 0 ? 0 : UM3N_ENOENT;
}

int sim_metrics_write_csv(struct sim_metrics *m, const char *path)
{
	return sim_series_write(&m->series, path);
}

static void write_link_stats(FILE *f, const char *dir, const struct sim_link_stats *s)
{
	fprintf(f,
		"\"%s\": {\"sent_pkts\": %llu, \"delivered_pkts\": %llu, \"drop_queue\": %llu, "
		"\"drop_loss\": %llu, \"drop_outage\": %llu}",
		dir, (unsigned long long)s->sent_pkts, (unsigned long long)s->deliver_pkts,
		(unsigned long long)s->drop_queue, (unsigned long long)s->drop_loss,
		(unsigned long long)s->drop_outage);
}

int sim_metrics_write_extra(const struct sim_metrics *m, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return UM3N_ENOENT;
	fprintf(f,
		"{\n  \"handover\": {\"present\": %s, \"at_s\": %.3f, \"loss_window_ms\": %.3f},\n",
		m->handover ? "true" : "false", m->ho_at_us / 1e6, m->ho_loss_window_ms);
	fprintf(f, "  \"links\": {");
	for (size_t i = 0; i < m->n_links; i++) {
		fprintf(f, "%s\n    \"%s\": {", i ? "," : "", m->links[i].name);
		write_link_stats(f, "down", &m->links[i].down);
		fprintf(f, ", ");
		write_link_stats(f, "up", &m->links[i].up);
		fprintf(f, "}");
	}
	if (m->core_limited) { /* only then: every other run keeps its bytes */
		fprintf(f, "\n  },\n  \"core\": {");
		write_link_stats(f, "down", &m->core_down);
		fprintf(f, ", ");
		write_link_stats(f, "up", &m->core_up);
	}
	fprintf(f, "\n  },\n  \"flows\": {");
	for (size_t i = 0; i < m->n_flows; i++) {
		const struct sim_flow_metrics *fl = &m->flows[i];

		fprintf(f,
			"%s\n    \"%s\": {\"sent_pkts\": %llu, \"recv_pkts\": %llu, "
			"\"duplicates\": %llu, \"frames_judged\": %llu, \"late_frames\": %llu, "
			"\"handover_lost\": %llu, \"gap_ms\": %.3f",
			i ? "," : "", fl->name, (unsigned long long)fl->sent_pkts,
			(unsigned long long)fl->recv_pkts, (unsigned long long)fl->dup_pkts,
			(unsigned long long)fl->frames_judged, (unsigned long long)fl->late_frames,
			(unsigned long long)fl->ho_lost, fl->gap_us / 1000.0);
		if (m->handover) /* scenarios without one keep their lines */
			fprintf(f, ", \"added_gap_ms\": %.3f, \"extra_delay_max_ms\": %.3f",
				fl->ho_added_gap_us / 1000.0, fl->ho_extra_us[2] / 1000.0);
		if (fl->stale_pkts) /* only then: every other run keeps its bytes */
			fprintf(f, ", \"stale_pkts\": %llu", (unsigned long long)fl->stale_pkts);
		fprintf(f, "}");
	}
	fprintf(f, "\n  }\n}\n");
	return fclose(f) == 0 ? 0 : UM3N_ENOENT;
}

void sim_metrics_summary(const struct sim_metrics *m, FILE *out)
{
	fprintf(out, "summary: seed=%llu duration_s=%.3f goodput_mbps=%.3f",
		(unsigned long long)m->seed, m->end_us / 1e6, m->goodput_mbps);
	for (size_t i = 0; i < m->n_links; i++)
		fprintf(out, " link.%s=%.3f", m->links[i].name, m->links[i].goodput_mbps);
	for (size_t i = 0; i < m->n_flows; i++)
		fprintf(out, " flow.%s=%.3f/lost=%llu", m->flows[i].name, m->flows[i].goodput_mbps,
			(unsigned long long)m->flows[i].lost);
	if (m->handover)
		fprintf(out,
			" handover.gap_ms=%.3f handover.added_gap_ms=%.3f "
			"handover.lost_packets=%llu "
			"handover.loss_window_ms=%.3f",
			m->ho_gap_ms, m->ho_added_gap_ms, (unsigned long long)m->ho_lost,
			m->ho_loss_window_ms);
	if (m->any_video)
		fprintf(out, " video.late_frames=%llu", (unsigned long long)m->late_frames);
	fprintf(out, "\n");
}
