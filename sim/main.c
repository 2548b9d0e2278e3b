/* um3n-sim: run a scenario through the MN and HA engines on a virtual clock.
 * The wall clock is read here only (for --bench), never inside the model. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "schedule.h"
#include "world.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"NAME\n"
	"    um3n-sim - deterministic discrete-event simulator for um3n\n"
	"\n"
	"SYNOPSIS\n"
	"    um3n-sim SCENARIO.ini [--seed N] [--out DIR] [--duration S] [--no-pcap]\n"
	"             [--snaplen N] [--bench] [--exact | --histogram] [--log LEVEL]\n"
	"             [--invariants]\n"
	"\n"
	"DESCRIPTION\n"
	"    Runs the um3n MN and HA engines over simulated links (rate or bandwidth\n"
	"    trace, delay, jitter, drop-tail queue, random and Gilbert-Elliott loss,\n"
	"    outages) with generated or replayed traffic, on virtual time. The same\n"
	"    scenario and seed give byte-identical outputs. The scenario format is\n"
	"    described in sim/README.md.\n"
	"\n"
	"    The first line printed is seed=N; the last is a one-line summary.\n"
	"\n"
	"OPTIONS\n"
	"    --seed N       seed for every random choice (default: [sim] seed, else 1)\n"
	"    --out DIR      output directory (default ./um3n-sim-out; created with its parents)\n"
	"    --duration S   simulated seconds (overrides [sim] duration_s)\n"
	"    --no-pcap      do not write pcaps (faster)\n"
	"    --snaplen N    keep the first N bytes of each packet in the pcaps (default all)\n"
	"    --bench        print simulated seconds per wall second, events/s, wall and\n"
	"                   CPU seconds per simulated hour and the peak resident memory\n"
	"    --exact        keep every delay sample and per-packet record to the end:\n"
	"                   exact percentiles at any length, memory grows with the run\n"
	"                   (default: exact up to 2^18 samples per flow, then a\n"
	"                   histogram within 1/256 of the exact value; constant memory)\n"
	"    --histogram    percentiles from the histogram however few the samples (to\n"
	"                   compare it with the exact ones)\n"
	"    --log LEVEL    engine log lines to stderr: 0 err .. 3 debug (default: none)\n"
	"    --invariants   check during the run that data goes only on usable links,\n"
	"                   the HA's bindings match the MN's registered links and no\n"
	"                   packet reaches an app twice; the first broken one stops\n"
	"                   the run (one line on stderr, exit 1). UM3N_SIM_BREAK=carrier,\n"
	"                   binding or dup breaks the world on purpose (sim/invariants.h)\n"
	"    -h, --help     this text\n"
	"\n"
	"OUTPUT FILES (in DIR)\n"
	"    metrics.json     seed, duration_s, goodput_mbps, links.NAME.goodput_mbps,\n"
	"                     flows.NAME.{goodput_mbps,loss,lost_packets,owd_p50_ms,\n"
	"                     owd_p99_ms,reordered}, handover.{gap_ms (longest silence),\n"
	"                     lost_packets,added_gap_ms,extra_delay_ms.{p50,p99,max}},\n"
	"                     video.late_frames\n"
	"    extra.json       handover loss window, per-link drops, per-flow counters\n"
	"    hover.json       (only with [mn] uplinks = one) the handover manager: handovers,\n"
	"                     lost, cancelled, failed_bringups, unexpected, min_between_ms,\n"
	"                     max_move_ms\n"
	"    timeseries.csv   per-second Mbit/s per link and per flow\n"
	"    mn-tun.pcap, ha-tun.pcap, link-NAME.pcap   (DLT_RAW, virtual timestamps)\n"
	"\n"
	"EXIT STATUS\n"
	"    0 success, 1 run-time failure, 2 bad usage or scenario (one line\n"
	"    FILE:LINE: what was expected).\n";

struct options {
	const char *scenario, *out_dir;
	uint64_t seed, duration_us;
	bool seed_set, bench, pcaps, exact, histogram, invariants;
	uint32_t snaplen;
	int log_level;
};

/* mkdir -p: --out a/b/c works when a/b does not exist yet. 0 or -1 (errno). */
static int mkdir_parents(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	assert(dir);
	if (n == 0 || n >= sizeof(path)) {
		errno = n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static bool parse_uint(const char *s, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && *out >= 0 && *out <= max;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"seed", required_argument, NULL, 's'},     {"out", required_argument, NULL, 'o'},
		{"duration", required_argument, NULL, 'd'}, {"bench", no_argument, NULL, 'b'},
		{"exact", no_argument, NULL, 'x'},          {"histogram", no_argument, NULL, 'H'},
		{"no-pcap", no_argument, NULL, 'n'},        {"log", required_argument, NULL, 'l'},
		{"snaplen", required_argument, NULL, 'S'},  {"invariants", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	double v;
	int c;

	*o = (struct options){.out_dir = "um3n-sim-out", .pcaps = true, .log_level = -1};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_uint(optarg, 1e15, &v) || v != (double)(uint64_t)v)
				return fprintf(stderr, "um3n-sim: --seed: expected an integer\n"),
				       -1;
			o->seed = (uint64_t)v;
			o->seed_set = true;
			break;
		case 'o': o->out_dir = optarg; break;
		case 'd':
			if (!parse_uint(optarg, 604800, &v) || v <= 0)
				return fprintf(stderr, "um3n-sim: --duration: expected seconds\n"),
				       -1;
			o->duration_us = (uint64_t)(v * 1e6 + 0.5);
			break;
		case 'S':
			if (!parse_uint(optarg, 65535, &v) || v < 40)
				return fprintf(stderr, "um3n-sim: --snaplen: expected 40..65535\n"),
				       -1;
			o->snaplen = (uint32_t)v;
			break;
		case 'b': o->bench = true; break;
		case 'x': o->exact = true; break;
		case 'H': o->histogram = true; break;
		case 'n': o->pcaps = false; break;
		case 'I':
			if (sim_inv_break_parse(getenv("UM3N_SIM_BREAK")) < 0)
				return fprintf(stderr, "um3n-sim: UM3N_SIM_BREAK: expected "
						       "carrier, binding or dup\n"),
				       -1;
			o->invariants = true;
			break;
		case 'l':
			if (!parse_uint(optarg, 3, &v))
				return fprintf(stderr, "um3n-sim: --log: expected 0..3\n"), -1;
			o->log_level = (int)v;
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return -1;
		}
	}
	if (o->exact && o->histogram)
		return fprintf(stderr, "um3n-sim: --exact or --histogram, not both\n"), -1;
	if (optind != argc - 1)
		return fprintf(stderr, "um3n-sim: expected one SCENARIO.ini (see --help)\n"), -1;
	o->scenario = argv[optind];
	return 0;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Peak resident set size of the process so far (Linux: ru_maxrss in kB). */
static double peak_rss_mb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss / 1024.0;
}

static int write_outputs(struct sim_world *w, const char *dir)
{
	char path[SIM_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	if (sim_metrics_write_json(&w->metrics, path))
		return -1;
	snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
	if (sim_metrics_write_csv(&w->metrics, path))
		return -1;
	snprintf(path, sizeof(path), "%s/extra.json", dir);
	return sim_metrics_write_extra(&w->metrics, path) ? -1 : 0;
}

/* uplinks = one: the handover manager's figures (um3n_mn_status) in
 * hover.json and one line; nothing with uplinks = all, so that runs of the
 * other scenarios stay byte-identical. */
static int write_hover(const struct sim_world *w, const char *dir)
{
	char path[SIM_PATH_MAX + 32];
	struct um3n_mn_status st;
	const struct um3n_mn_hover_status *h = &st.hover;
	FILE *f;

	um3n_mn_status(w->mn, w->now_us, &st);
	if (h->uplinks != UM3N_MN_UPLINKS_ONE)
		return 0;
	printf("hover: handovers=%llu lost=%llu cancelled=%llu failed_bringups=%llu "
	       "min_between_ms=%lld max_move_ms=%lld\n",
	       (unsigned long long)h->handovers, (unsigned long long)h->lost,
	       (unsigned long long)h->cancelled, (unsigned long long)h->failed_bringups,
	       (long long)h->min_between_ms, (long long)h->max_move_ms);
	snprintf(path, sizeof(path), "%s/hover.json", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"{\"handovers\": %llu, \"lost\": %llu, \"cancelled\": %llu, "
		"\"failed_bringups\": %llu, \"unexpected\": %llu, \"min_between_ms\": %lld, "
		"\"max_move_ms\": %lld}\n",
		(unsigned long long)h->handovers, (unsigned long long)h->lost,
		(unsigned long long)h->cancelled, (unsigned long long)h->failed_bringups,
		(unsigned long long)h->unexpected, (long long)h->min_between_ms,
		(long long)h->max_move_ms);
	return fclose(f) ? -1 : 0;
}

/* "-" or the short name of the last error ("EDUP"). */
static const char *last_err(uint64_t count, int code)
{
	static char buf[4][16];
	static int slot;
	const char *s = um3n_strerror(code);
	size_t n = strcspn(s, ":");

	if (!count)
		return "-";
	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "last %.*s", (int)(n < 10 ? n : 10), s);
	return buf[slot];
}

static void print_engine_counters(const struct sim_world *w)
{
	const struct sim_engine_errors *e = &w->errs;

	printf("engine: mn_tun_err=%llu (%s) mn_udp_err=%llu (%s) ha_tun_err=%llu (%s) "
	       "ha_udp_err=%llu (%s) ha_unroutable=%llu sim_drops=%llu\n",
	       (unsigned long long)e->mn_tun, last_err(e->mn_tun, e->last_mn_tun),
	       (unsigned long long)e->mn_udp, last_err(e->mn_udp, e->last_mn_udp),
	       (unsigned long long)e->ha_tun, last_err(e->ha_tun, e->last_ha_tun),
	       (unsigned long long)e->ha_udp, last_err(e->ha_udp, e->last_ha_udp),
	       (unsigned long long)e->ha_unroutable, (unsigned long long)e->pool_exhausted);
}

/* Repair requests (core/arq.h) of the MN (downlink losses) and the HA. */
static void print_arq(const struct sim_world *w)
{
	struct um3n_mn_status ms;
	struct um3n_ha_mn_status hs;

	um3n_mn_status(w->mn, w->now_us, &ms);
	if (um3n_ha_mn_status(w->ha, w->now_us, 0, &hs))
		memset(&hs, 0, sizeof(hs));
	printf("repairs: mn asked=%llu repaired=%llu unanswered=%llu over_budget=%llu "
	       "too_late=%llu sent=%llu; ha asked=%llu repaired=%llu unanswered=%llu "
	       "over_budget=%llu too_late=%llu sent=%llu\n",
	       (unsigned long long)ms.arq.asked, (unsigned long long)ms.arq.repaired,
	       (unsigned long long)ms.arq.unanswered, (unsigned long long)ms.arq.over_budget,
	       (unsigned long long)ms.arq.too_late, (unsigned long long)ms.arq.repairs_sent,
	       (unsigned long long)hs.arq.asked, (unsigned long long)hs.arq.repaired,
	       (unsigned long long)hs.arq.unanswered, (unsigned long long)hs.arq.over_budget,
	       (unsigned long long)hs.arq.too_late, (unsigned long long)hs.arq.repairs_sent);
}

static int run(struct options *o, struct sim_scenario *sc)
{
	struct sim_world_opts wo = {.seed = o->seed_set ? o->seed : sc->seed,
				    .out_dir = o->out_dir,
				    .pcaps = o->pcaps,
				    .snaplen = o->snaplen,
				    .exact_metrics = o->exact,
				    .histogram_metrics = o->histogram,
				    .invariants = o->invariants,
				    .log_level = o->log_level};
	static struct sim_world w;
	char err[SIM_ERR_MAX];
	double t0, cpu0, wall, cpu;
	int rc;

	printf("seed=%llu\n", (unsigned long long)wo.seed);
	fflush(stdout);
	if (mkdir_parents(o->out_dir) != 0) {
		fprintf(stderr, "um3n-sim: %s: %s\n", o->out_dir, strerror(errno));
		return 1;
	}
	rc = sim_world_init(&w, sc, &wo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		sim_world_free(&w);
		return rc == UM3N_ENOMEM ? 1 : EXIT_USAGE;
	}
	t0 = wall_s();
	cpu0 = (double)clock() / CLOCKS_PER_SEC;
	rc = sim_world_run(&w);
	wall = wall_s() - t0;
	cpu = (double)clock() / CLOCKS_PER_SEC - cpu0;
	if (rc == 0)
		rc = write_outputs(&w, o->out_dir);
	if (rc == 0)
		rc = write_hover(&w, o->out_dir);
	print_engine_counters(&w);
	print_arq(&w);
	sim_inv_summary(&w.inv);
	if (o->bench)
		printf("bench: events=%llu wall_s=%.4f cpu_s=%.4f sim_s_per_wall_s=%.1f "
		       "events_per_s=%.0f wall_s_per_sim_h=%.2f cpu_s_per_sim_h=%.2f "
		       "peak_rss_mb=%.1f\n",
		       (unsigned long long)w.events, wall, cpu,
		       sc->duration_us / 1e6 / (wall > 0 ? wall : 1e-9),
		       w.events / (wall > 0 ? wall : 1e-9), wall * 3.6e9 / (double)sc->duration_us,
		       cpu * 3.6e9 / (double)sc->duration_us, peak_rss_mb());
	sim_metrics_summary(&w.metrics, stdout);
	sim_world_free(&w);
	return rc ? 1 : 0;
}

/* What only sim/ns3/um3n-ns3sim runs: closed-loop TCP, and ns-3's queue
 * disciplines (this simulator's links are drop-tail). Says which on stderr. */
static bool needs_ns3(const struct sim_scenario *sc)
{
	for (size_t i = 0; i < sc->n_flows; i++)
		if (sc->flows[i].type == SIM_FLOW_TCP) {
			fprintf(stderr, "%s:%d: [flow %s]: type = tcp needs um3n-ns3sim\n",
				sc->path, sc->flows[i].line, sc->flows[i].name);
			return true;
		}
	for (size_t i = 0; i < sc->n_links; i++)
		if (sc->links[i].qdisc != SIM_QDISC_DROPTAIL) {
			fprintf(stderr, "%s:%d: [link %s]: qdisc = fq_codel needs um3n-ns3sim\n",
				sc->path, sc->links[i].line, sc->links[i].name);
			return true;
		}
	return false;
}

int main(int argc, char **argv)
{
	static struct sim_scenario sc;
	struct options o;
	char err[SIM_ERR_MAX];
	int rc;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	if (sim_scenario_load(o.scenario, &sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	if (o.duration_us && sim_scenario_set_duration(&sc, o.duration_us)) {
		fprintf(stderr, "um3n-sim: --duration: too short for the scenario's flows\n");
		return EXIT_USAGE;
	}
	if (needs_ns3(&sc)) {
		sim_scenario_free(&sc);
		return EXIT_USAGE;
	}
	rc = sim_schedule_expand(&sc, o.seed_set ? o.seed : sc.seed, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		sim_scenario_free(&sc);
		return rc == UM3N_ENOMEM ? 1 : EXIT_USAGE;
	}
	sim_scenario_jitter_events(&sc, o.seed_set ? o.seed : sc.seed);
	rc = run(&o, &sc);
	sim_scenario_free(&sc);
	return rc;
}
