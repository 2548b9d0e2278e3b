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
	memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
	*p = q;
	*cap = n;
	return 0;
}

int sim_metrics_init(struct sim_metrics *m, const struct sim_scenario *sc, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	m->seed = seed;
	m->duration_us = sc->duration_us;
	m->measure_from_us = sc->measure_from_us;
	m->n_secs = (size_t)((sc->duration_us + 999999) / 1000000);
	m->n_flows = sc->n_flows;
	m->n_links = sc->n_links;
	if (sim_scenario_handover(sc, &m->ho_at_us)) {
		m->handover = true;
		m->ho_from_us = m->ho_at_us > sc->handover_before_us
					? m->ho_at_us - sc->handover_before_us
					: 0;
		m->ho_to_us = m->ho_at_us + sc->handover_after_us;
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
		f->sec_bytes = calloc(m->n_secs, sizeof(uint64_t));
		if (!f->sec_bytes)
			return UM3N_ENOMEM;
	}
	for (size_t i = 0; i < m->n_links; i++) {
		strcpy(m->links[i].name, sc->links[i].name);
		m->links[i].sec_down = calloc(m->n_secs, sizeof(uint64_t));
		m->links[i].sec_up = calloc(m->n_secs, sizeof(uint64_t));
		if (!m->links[i].sec_down || !m->links[i].sec_up)
			return UM3N_ENOMEM;
	}
	return 0;
}

void sim_metrics_free(struct sim_metrics *m)
{
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];

		free(f->seen);
		free(f->sent_up);
		free(f->send_us);
		free(f->recv_us);
		free(f->owd_us);
		free(f->frames);
		free(f->sec_bytes);
	}
	for (size_t i = 0; i < m->n_links; i++) {
		free(m->links[i].sec_down);
		free(m->links[i].sec_up);
	}
	memset(m, 0, sizeof(*m));
}

int sim_metrics_sent(struct sim_metrics *m, size_t flow, uint32_t seq, uint64_t send_us,
		     uint32_t bytes, bool up, uint32_t frame_id, uint16_t frame_pkts)
{
	struct sim_flow_metrics *f = &m->flows[flow];
	size_t cap = f->seq_cap, cap2 = f->seq_cap, bytes_cap = f->seq_cap / 8,
	       bytes_cap2 = f->seq_cap / 8;

	if (seq >= f->seq_cap) {
		if (grow((void **)&f->send_us, &cap, (size_t)seq + 1, sizeof(uint64_t)) ||
		    grow((void **)&f->recv_us, &cap2, (size_t)seq + 1, sizeof(uint64_t)))
			return UM3N_ENOMEM;
		assert(cap == cap2);
		if (grow((void **)&f->seen, &bytes_cap, cap / 8, 1) ||
		    grow((void **)&f->sent_up, &bytes_cap2, cap / 8, 1))
			return UM3N_ENOMEM;
		f->seq_cap = cap;
	}
	f->send_us[seq] = send_us;
	if (up)
		f->sent_up[seq / 8] |= (uint8_t)(1u << (seq % 8));
	f->sent_pkts++;
	f->sent_bytes += bytes;
	if (f->video && frame_pkts) {
		if (frame_id >= f->frames_cap &&
		    grow((void **)&f->frames, &f->frames_cap, (size_t)frame_id + 1,
			 sizeof(struct sim_frame)))
			return UM3N_ENOMEM;
		f->frames[frame_id].send_us = send_us;
		f->frames[frame_id].need = frame_pkts;
	}
	return 0;
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
	size_t sec = (size_t)(now_us / 1000000);

	if (seq >= f->seq_cap || (f->seen[seq / 8] & (1u << (seq % 8)))) {
		f->dup_pkts++; /* never sent (corrupt) or a second copy */
		return;
	}
	f->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	f->recv_us[seq] = now_us;
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
	if (sec < m->n_secs)
		f->sec_bytes[sec] += bytes;
	if (f->owd_len < f->owd_cap ||
	    !grow((void **)&f->owd_us, &f->owd_cap, f->owd_len + 1, sizeof(uint32_t)))
		f->owd_us[f->owd_len++] = (uint32_t)(now_us >= send_us ? now_us - send_us : 0);
	if (f->video && frame_id < f->frames_cap &&
	    ++f->frames[frame_id].got == f->frames[frame_id].need)
		f->frames[frame_id].done_us = now_us;
	if (link >= 0 && (size_t)link < m->n_links) {
		struct sim_link_metrics *l = &m->links[link];
		bool in_window = now_us >= m->measure_from_us;

		if (in_window)
			*(up ? &l->up_bytes : &l->down_bytes) += bytes;
		if (sec < m->n_secs)
			(up ? l->sec_up : l->sec_down)[sec] += bytes;
	}
}

static void swap_u32(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0, n) (Hoare quickselect, median-of-three pivot):
 * O(n) instead of sorting every sample; v is permuted. */
uint32_t sim_select_kth(uint32_t *v, size_t n, size_t k)
{
	long lo = 0, hi = (long)n - 1, kk = (long)k;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint32_t pivot;

		if (v[mid] < v[lo])
			swap_u32(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap_u32(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap_u32(&v[hi], &v[mid]);
		pivot = v[mid];
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap_u32(&v[i], &v[j]);
				i++;
				j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return v[kk];
	}
	return v[kk];
}

/* Nearest-rank percentile in ms. */
static double percentile_ms(uint32_t *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sim_select_kth(v, n, rank - 1) / 1000.0;
}

static void finish_losses(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t end_us)
{
	uint64_t judged = 0;

	for (size_t s = 0; s < f->sent_pkts && s < f->seq_cap; s++) {
		uint64_t t = f->send_us[s];
		bool got = f->seen[s / 8] & (1u << (s % 8));

		if (t + SIM_SETTLE_US > end_us)
			continue;
		judged++;
		if (got)
			continue;
		f->lost++;
		if (m->handover && t >= m->ho_from_us && t <= m->ho_to_us) {
			if (!f->ho_lost)
				f->ho_lost_first_us = t;
			f->ho_lost_last_us = t;
			f->ho_lost++;
		}
	}
	f->loss = judged ? (double)f->lost / (double)judged : 0;
}

static void finish_frames(struct sim_flow_metrics *f, uint64_t end_us)
{
	for (size_t i = 0; i < f->frames_cap; i++) {
		const struct sim_frame *fr = &f->frames[i];
		uint64_t due = fr->send_us + f->playout_us + SIM_FRAME_SLACK_US;

		if (!fr->need || due + SIM_SETTLE_US > end_us)
			continue;
		f->frames_judged++;
		if (fr->got < fr->need || fr->done_us > due)
			f->late_frames++;
	}
}

/* hometric.h's figures of each direction of a flow active at the handover;
 * the flow's are the maximum over its directions. */
static int finish_hometric(struct sim_metrics *m, struct sim_flow_metrics *f, uint64_t end_us)
{
	struct sim_hometric_window w = {m->ho_from_us, m->ho_at_us, m->ho_to_us};
	size_t n_pkts = f->sent_pkts < f->seq_cap ? (size_t)f->sent_pkts : f->seq_cap;
	struct sim_hometric_pkt *p = malloc((n_pkts ? n_pkts : 1) * sizeof(*p));
	bool any = false;

	if (!p)
		return UM3N_ENOMEM;
	if (w.to_us > end_us)
		w.to_us = end_us > w.at_us ? end_us : w.at_us;
	for (int up = 0; up < 2; up++) {
		struct sim_hometric r;
		size_t n = 0;

		for (size_t s = 0; s < n_pkts; s++) {
			bool got = f->seen[s / 8] & (1u << (s % 8));

			if (((f->sent_up[s / 8] >> (s % 8)) & 1) != up)
				continue;
			p[n].send_us = f->send_us[s];
			p[n++].recv_us = got ? f->recv_us[s] : SIM_HOMETRIC_LOST;
		}
		if (n == 0)
			continue;
		if (sim_hometric_compute(p, n, &w, false, &r)) {
			free(p);
			return UM3N_ENOMEM;
		}
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
	free(p);
	return 0;
}

int sim_metrics_finish(struct sim_metrics *m, uint64_t end_us)
{
	bool any_ho = false;

	m->end_us = end_us;
	for (size_t i = 0; i < m->n_flows; i++) {
		struct sim_flow_metrics *f = &m->flows[i];
		uint64_t stop = f->stop_us < end_us ? f->stop_us : end_us;
		bool active_at_ho = m->handover && f->start_us < m->ho_at_us && stop > m->ho_at_us;

		f->owd_p50_ms = percentile_ms(f->owd_us, f->owd_len, 0.50);
		f->owd_p99_ms = percentile_ms(f->owd_us, f->owd_len, 0.99);
		f->goodput_mbps = stop > f->start_us
					  ? (double)f->recv_bytes * 8 / (double)(stop - f->start_us)
					  : 0;
		m->goodput_mbps += f->goodput_mbps;
		finish_losses(m, f, end_us);
		if (f->video) {
			finish_frames(f, end_us);
			m->late_frames += f->late_frames;
		}
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

int sim_metrics_write_csv(const struct sim_metrics *m, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return UM3N_ENOENT;
	fprintf(f, "time_s");
	for (size_t i = 0; i < m->n_links; i++)
		fprintf(f, ",link.%s.mbps", m->links[i].name);
	for (size_t i = 0; i < m->n_flows; i++)
		fprintf(f, ",flow.%s.mbps", m->flows[i].name);
	fprintf(f, "\n");
	for (size_t s = 0; s < m->n_secs; s++) {
		fprintf(f, "%zu", s);
		for (size_t i = 0; i < m->n_links; i++)
			fprintf(f, ",%.3f",
				(m->links[i].sec_down[s] + m->links[i].sec_up[s]) * 8 / 1e6);
		for (size_t i = 0; i < m->n_flows; i++)
			fprintf(f, ",%.3f", m->flows[i].sec_bytes[s] * 8 / 1e6);
		fprintf(f, "\n");
	}
	return fclose(f) == 0 ? 0 : UM3N_ENOENT;
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
