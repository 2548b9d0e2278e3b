// um3n-ns3sim: run a scenario's TCP flows through the MN and HA engines in
// ns-3's simulated time (ns3sim.hh). The scenario format is um3n-sim's
// (sim/README.md), parsed by sim/scenario.c, with the [radio NAME] and
// [mobility] sections of radiokeys.cc; a key a radio cannot honour is refused
// with FILE:LINE (sim/README.md, "um3n-ns3sim"). The wall
// clock is read here only, around Simulator::Run(), for --bench.
#include "ns3sim.hh"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using namespace ns3;
using namespace um3n;

namespace
{

const char kUsage[] =
    "usage: um3n-ns3sim SCENARIO.ini [--seed N] [--out DIR] [--duration S] [--bench]\n"
    "                   [--pcap | --no-pcap] [--log LEVEL]\n"
    "  Runs the scenario's flows (ns-3 TCP, and um3n-sim's video, cbr and bulk over\n"
    "  UDP) through the um3n MN and HA engines inside ns-3's simulated time\n"
    "  (point-to-point links; an 802.11g access point or an LTE cell with\n"
    "  [radio NAME]). The same scenario and seed give identical outputs.\n"
    "  First line: seed=N; last: a summary.\n"
    "  --seed N      ns-3 run number and engine seed (default: [sim] seed)\n"
    "  --out DIR     metrics.json, timeseries.csv, extra.json (default um3n-ns3sim-out)\n"
    "  --duration S  simulated seconds (overrides [sim] duration_s)\n"
    "  --bench       also run the same flows on plain ns-3 (no tunnel, each flow on\n"
    "                its policy's link; outputs in DIR/plain) and print simulated\n"
    "                seconds per wall second of both\n"
    "  --pcap        write DIR/link-NAME-{mn,ha}.pcap: each link device's packets\n"
    "                (ns-3's pcap helper, PPP framing, simulated timestamps), and\n"
    "                DIR/{mn,ha}-tun.pcap: the inner packets at the two TUNs\n"
    "  --no-pcap     no captures (the default; as um3n-sim's, for um3n-sweep --sim)\n"
    "  --log LEVEL   engine log lines to stderr: 0 err .. 3 debug\n"
    "Exit status: 0 ok, 1 run-time failure, 2 bad usage or scenario (FILE:LINE: ...).\n";

bool
HasUdp(const sim_scenario* sc)
{
    for (size_t i = 0; i < sc->n_flows; i++)
        if (sc->flows[i].type != SIM_FLOW_TCP)
            return true;
    return false;
}

int
MkdirParents(const std::string& dir)
{
    for (size_t i = 1; i <= dir.size(); i++)
        if (i == dir.size() || dir[i] == '/')
            if (mkdir(dir.substr(0, i).c_str(), 0755) != 0 && errno != EEXIST)
                return -1;
    return 0;
}

double
FlowGoodput(const World& w, size_t i)
{
    const sim_flow_spec& fs = w.sc->flows[i];
    const FlowStats& st = w.flows[i];

    if (fs.type != SIM_FLOW_TCP)
        return w.udp ? w.udp->flows[i].goodput_mbps : 0;
    uint64_t end = st.doneUs >= 0 ? (uint64_t)st.doneUs : fs.stop_us;

    return end > fs.start_us ? (double)st.rxBytes * 8 / (double)(end - fs.start_us) : 0;
}

double
LinkGoodput(const World& w, size_t i)
{
    uint64_t end = w.sc->duration_us, from = w.sc->measure_from_us;

    return (double)w.links[i].bytes * 8 / (double)(end > from ? end - from : 1);
}

// um3n-sim's handover and video keys (sim/metrics.c computes them, with
// sim/hometric.c), over the UDP flows; then what the radio did.
void
WriteOpenLoop(const World& w, FILE* f)
{
    const sim_metrics* m = w.udp;
    const RadioFigures& r = w.radio;

    if (w.anyUdp && m->handover)
        std::fprintf(f,
                     ",\n  \"handover\": {\"gap_ms\": %.3f, \"lost_packets\": %llu, "
                     "\"added_gap_ms\": %.3f, \"extra_delay_ms\": {\"p50\": %.3f, "
                     "\"p99\": %.3f, \"max\": %.3f}}",
                     m->ho_gap_ms, (unsigned long long)m->ho_lost, m->ho_added_gap_ms,
                     m->ho_extra_ms[0], m->ho_extra_ms[1], m->ho_extra_ms[2]);
    if (w.anyUdp && m->any_video)
        std::fprintf(f, ",\n  \"video\": {\"late_frames\": %llu}",
                     (unsigned long long)m->late_frames);
    if (w.opts.radio.present)
        std::fprintf(f,
                     ",\n  \"radio\": {\"link\": \"%s\", \"associated_s\": %.3f, "
                     "\"crossing_s\": %.3f, \"moved_ms\": %.3f, \"deassociated_s\": %.3f, "
                     "\"associations\": %llu, \"deassociations\": %llu, "
                     "\"signal_events\": %llu}",
                     w.opts.radio.link.c_str(), Sec(r.assocUs), Sec(r.crossingUs),
                     r.crossingUs >= 0 && r.movedUs >= 0 ? Ms(r.movedUs - r.crossingUs) : -1.0,
                     Sec(r.deassocUs), (unsigned long long)r.assocs,
                     (unsigned long long)r.deassocs, (unsigned long long)r.signalEvents);
    if (w.opts.lte.present)
        WriteLteJson(f, w.opts.lte, w.lte);
}

// uplinks = one: the handover manager's figures, as um3n-sim's hover.json.
bool
WriteHover(const World& w, const std::string& dir)
{
    const um3n_mn_hover_status& h = w.mnStatus.hover;
    FILE* f;

    if (h.uplinks != UM3N_MN_UPLINKS_ONE)
        return true;
    std::printf("hover: handovers=%llu lost=%llu cancelled=%llu failed_bringups=%llu "
                "min_between_ms=%lld max_move_ms=%lld\n",
                (unsigned long long)h.handovers, (unsigned long long)h.lost,
                (unsigned long long)h.cancelled, (unsigned long long)h.failed_bringups,
                (long long)h.min_between_ms, (long long)h.max_move_ms);
    if (!(f = std::fopen((dir + "/hover.json").c_str(), "w")))
        return false;
    std::fprintf(f,
                 "{\"handovers\": %llu, \"lost\": %llu, \"cancelled\": %llu, "
                 "\"failed_bringups\": %llu, \"unexpected\": %llu, \"min_between_ms\": %lld, "
                 "\"max_move_ms\": %lld}\n",
                 (unsigned long long)h.handovers, (unsigned long long)h.lost,
                 (unsigned long long)h.cancelled, (unsigned long long)h.failed_bringups,
                 (unsigned long long)h.unexpected, (long long)h.min_between_ms,
                 (long long)h.max_move_ms);
    return std::fclose(f) == 0;
}

bool
WriteOutputs(const World& w, const std::string& dir)
{
    const sim_scenario* sc = w.sc;
    double total = 0;
    FILE* f;

    for (size_t i = 0; i < sc->n_flows; i++)
        total += FlowGoodput(w, i);
    if (!(f = std::fopen((dir + "/metrics.json").c_str(), "w")))
        return false;
    std::fprintf(f, "{\n  \"seed\": %llu,\n  \"duration_s\": %.3f,\n  \"goodput_mbps\": %.3f,\n",
                 (unsigned long long)w.opts.seed, sc->duration_us / 1e6, total);
    std::fprintf(f, "  \"links\": {");
    for (size_t i = 0; i < sc->n_links; i++)
        std::fprintf(f, "%s\n    \"%s\": {\"goodput_mbps\": %.3f}", i ? "," : "",
                     sc->links[i].name, LinkGoodput(w, i));
    std::fprintf(f, "\n  },\n  \"flows\": {");
    for (size_t i = 0; i < sc->n_flows; i++) {
        const FlowStats& st = w.flows[i];

        if (sc->flows[i].type != SIM_FLOW_TCP) { // um3n-sim's keys (sim/metrics.c)
            const sim_flow_metrics& u = w.udp->flows[i];

            std::fprintf(f,
                         "%s\n    \"%s\": {\"goodput_mbps\": %.3f, \"loss\": %.6f, "
                         "\"lost_packets\": %llu, \"owd_p50_ms\": %.3f, \"owd_p99_ms\": %.3f, "
                         "\"reordered\": %llu}",
                         i ? "," : "", u.name, u.goodput_mbps, u.loss,
                         (unsigned long long)u.lost, u.owd_p50_ms, u.owd_p99_ms,
                         (unsigned long long)u.reordered);
            continue;
        }
        std::fprintf(f,
                     "%s\n    \"%s\": {\"goodput_mbps\": %.3f, \"bytes\": %llu, "
                     "\"retransmissions\": %llu, \"spurious_retransmissions\": %llu, "
                     "\"data_segments\": %llu, \"longest_stall_ms\": %.3f",
                     i ? "," : "", sc->flows[i].name, FlowGoodput(w, i),
                     (unsigned long long)st.rxBytes, (unsigned long long)st.retransmissions,
                     (unsigned long long)st.spurious, (unsigned long long)st.txSegments,
                     st.longestStallUs / 1e3);
        if (w.udp && w.udp->handover)
            std::fprintf(f, ", \"handover_stall_ms\": %.3f", st.hoStallUs / 1e3);
        if (sc->flows[i].bytes)
            std::fprintf(f, ", \"completion_s\": %.3f",
                         st.doneUs >= 0 ? (st.doneUs - (int64_t)sc->flows[i].start_us) / 1e6
                                        : -1.0);
        std::fprintf(f, "}");
    }
    std::fprintf(f, "\n  }");
    WriteOpenLoop(w, f);
    std::fprintf(f, "\n}\n");
    std::fclose(f);
    if (!(f = std::fopen((dir + "/timeseries.csv").c_str(), "w")))
        return false;
    std::fprintf(f, "time_s");
    for (size_t i = 0; i < sc->n_links; i++)
        std::fprintf(f, ",link.%s.mbps", sc->links[i].name);
    for (size_t i = 0; i < sc->n_flows; i++)
        std::fprintf(f, ",flow.%s.mbps", sc->flows[i].name);
    for (size_t i = 0; i < sc->n_flows; i++)
        std::fprintf(f, ",flow.%s.cwnd_kb", sc->flows[i].name);
    std::fprintf(f, "\n");
    for (size_t s = 0; s < (sc->duration_us + 999999) / 1000000; s++) {
        std::fprintf(f, "%zu", s);
        for (const LinkStats& l : w.links)
            std::fprintf(f, ",%.3f", s < l.secBytes.size() ? l.secBytes[s] * 8 / 1e6 : 0.0);
        for (const FlowStats& fl : w.flows)
            std::fprintf(f, ",%.3f", s < fl.secBytes.size() ? fl.secBytes[s] * 8 / 1e6 : 0.0);
        for (const FlowStats& fl : w.flows) {
            const std::vector<uint32_t>& c = fl.secCwnd;
            uint32_t v = s < c.size() ? c[s] : c.empty() ? 0 : c.back();

            std::fprintf(f, ",%.1f", v / 1024.0);
        }
        std::fprintf(f, "\n");
    }
    std::fclose(f);
    if (!(f = std::fopen((dir + "/extra.json").c_str(), "w")))
        return false;
    const um3n_drop_counters& md = w.mnStatus.drops;
    const um3n_drop_counters& hd = w.haStatus.drops;
    std::fprintf(f,
                 "{\n  \"engine\": {\"mn_tun_err\": %llu, \"mn_udp_err\": %llu, "
                 "\"ha_tun_err\": %llu, \"ha_udp_err\": %llu, \"send_failed\": %llu, "
                 "\"ha_unroutable\": %llu},\n",
                 (unsigned long long)w.mnTunErr, (unsigned long long)w.mnUdpErr,
                 (unsigned long long)w.haTunErr, (unsigned long long)w.haUdpErr,
                 (unsigned long long)w.sendFailed, (unsigned long long)w.haUnroutable);
    // Every engine drop a run can meet without an attacker (engine.h).
    for (const auto& d : {std::make_pair("mn_drops", &md), std::make_pair("ha_drops", &hd)})
        std::fprintf(f,
                     "  \"%s\": {\"no_link\": %llu, \"queue_full\": %llu, \"duplicate\": %llu, "
                     "\"aqm\": %llu, \"too_big\": %llu, \"no_binding\": %llu},\n",
                     d.first, (unsigned long long)d.second->no_link,
                     (unsigned long long)d.second->queue_full,
                     (unsigned long long)d.second->duplicate, (unsigned long long)d.second->aqm,
                     (unsigned long long)d.second->too_big,
                     (unsigned long long)d.second->no_binding);
    std::fprintf(f,
                 "  \"mn_reorder\": {\"held\": %llu, \"filled\": %llu, \"timed_out\": %llu, "
                 "\"equalised\": %llu, \"hold_p50_ms\": %.3f, \"hold_p99_ms\": %.3f},\n",
                 (unsigned long long)w.mnStatus.reorder.held,
                 (unsigned long long)w.mnStatus.reorder.filled,
                 (unsigned long long)w.mnStatus.reorder.timed_out,
                 (unsigned long long)w.mnStatus.reorder.equalised,
                 w.mnStatus.reorder.p50_us / 1e3, w.mnStatus.reorder.p99_us / 1e3);
    const um3n_arq_stats& a = w.mnStatus.arq;
    std::fprintf(f,
                 "  \"mn_repairs\": {\"asked\": %llu, \"repaired\": %llu, \"unanswered\": %llu, "
                 "\"over_budget\": %llu, \"too_late\": %llu, \"requests_in\": %llu, "
                 "\"repairs_sent\": %llu},\n",
                 (unsigned long long)a.asked, (unsigned long long)a.repaired,
                 (unsigned long long)a.unanswered, (unsigned long long)a.over_budget,
                 (unsigned long long)a.too_late,
                 (unsigned long long)a.requests_in, (unsigned long long)a.repairs_sent);
    if (w.sc->core_rate_bps) { // only then: every other run keeps its bytes
        uint64_t drops[2] = {0, 0};

        for (size_t i = 0; i < w.coreDevs.size(); i++)
            drops[i % 2] += DynamicCast<PointToPointNetDevice>(w.coreDevs[i])
                                ->GetQueue()
                                ->GetTotalDroppedPackets();
        std::fprintf(f, "  \"core\": {\"down\": {\"drop_queue\": %llu}, "
                        "\"up\": {\"drop_queue\": %llu}},\n",
                     (unsigned long long)drops[0], (unsigned long long)drops[1]);
    }
    for (const auto& p : {std::make_pair("mn_pace", &w.mnStatus.pace),
                          std::make_pair("ha_pace", &w.haMn.pace)})
        std::fprintf(f,
                     "  \"%s\": {\"queued\": %llu, \"sent\": %llu, \"dropped\": %llu, "
                     "\"max_bytes\": %llu, \"rate_kbps\": %llu},\n",
                     p.first, (unsigned long long)p.second->queued,
                     (unsigned long long)p.second->sent, (unsigned long long)p.second->dropped,
                     (unsigned long long)p.second->max_bytes,
                     (unsigned long long)p.second->rate_kbps);
    std::fprintf(f, "  \"mn_links\": {");
    for (size_t i = 0; i < w.mnStatus.n_links; i++) {
        const um3n_mn_link_status& l = w.mnStatus.links[i];

        std::fprintf(f,
                     "%s\n    \"%s\": {\"state\": %d, \"tx_pkts\": %llu, \"rx_pkts\": %llu, "
                     "\"failovers\": %llu, \"srtt_ms\": %.3f}",
                     i ? "," : "", l.name, l.state, (unsigned long long)l.tx_pkts,
                     (unsigned long long)l.rx_pkts, (unsigned long long)l.failovers,
                     l.srtt_us / 1e3);
    }
    std::fprintf(f, "\n  }\n}\n");
    std::fclose(f);
    return true;
}

std::string
Summary(const World& w, const char* what)
{
    double total = 0;
    char b[256];
    std::string s;

    for (size_t i = 0; i < w.sc->n_flows; i++)
        total += FlowGoodput(w, i);
    std::snprintf(b, sizeof(b), "%s: seed=%llu duration_s=%.3f goodput_mbps=%.3f", what,
                  (unsigned long long)w.opts.seed, w.sc->duration_us / 1e6, total);
    s = b;
    for (size_t i = 0; i < w.sc->n_links; i++) {
        std::snprintf(b, sizeof(b), " link.%s=%.3f", w.sc->links[i].name, LinkGoodput(w, i));
        s += b;
    }
    for (size_t i = 0; i < w.sc->n_flows; i++) {
        if (w.sc->flows[i].type != SIM_FLOW_TCP) {
            std::snprintf(b, sizeof(b), " flow.%s=%.3f/lost=%llu", w.sc->flows[i].name,
                          FlowGoodput(w, i), (unsigned long long)w.udp->flows[i].lost);
            s += b;
            continue;
        }
        std::snprintf(b, sizeof(b), " flow.%s=%.3f/retx=%llu/stall_ms=%.1f",
                      w.sc->flows[i].name, FlowGoodput(w, i),
                      (unsigned long long)w.flows[i].retransmissions,
                      w.flows[i].longestStallUs / 1e3);
        s += b;
    }
    if (w.anyUdp && w.udp->handover) {
        std::snprintf(b, sizeof(b), " handover.added_gap_ms=%.3f handover.lost_packets=%llu",
                      w.udp->ho_added_gap_ms, (unsigned long long)w.udp->ho_lost);
        s += b;
    }
    if (w.anyUdp && w.udp->any_video) {
        std::snprintf(b, sizeof(b), " video.late_frames=%llu",
                      (unsigned long long)w.udp->late_frames);
        s += b;
    }
    if (w.opts.radio.present) {
        const RadioFigures& r = w.radio;
        std::snprintf(b, sizeof(b), " radio.crossing_s=%.3f radio.moved_ms=%.3f",
                      Sec(r.crossingUs),
                      r.crossingUs >= 0 && r.movedUs >= 0 ? (r.movedUs - r.crossingUs) / 1e3
                                                          : -1.0);
        s += b;
    }
    if (w.opts.lte.present && w.opts.lte.enbX.size() > 1)
        s += LteSummary(w.lte);
    return s;
}

// One world from a fresh ns-3 state: returns simulated seconds per wall second.
int
RunWorld(const sim_scenario* sc,
         const Options& o,
         const std::string& dir,
         double* speed,
         double* cpuSpeed,
         std::string* summary)
{
    std::string err;
    int rc = 0;

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(o.seed);
    if (MkdirParents(dir)) // before Build(): the pcap files open there
        return std::fprintf(stderr, "um3n-ns3sim: %s: %s\n", dir.c_str(), std::strerror(errno)), 1;
    {
        World w(sc, o);

        if (!w.Build(err)) {
            std::fprintf(stderr, "%s\n", err.c_str());
            rc = 2;
        } else {
            auto t0 = std::chrono::steady_clock::now();
            std::clock_t c0 = std::clock();
            w.Run();
            double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                              .count();
            double cpu = (double)(std::clock() - c0) / CLOCKS_PER_SEC;
            *speed = sc->duration_us / 1e6 / (wall > 0 ? wall : 1e-9);
            *cpuSpeed = sc->duration_us / 1e6 / (cpu > 0 ? cpu : 1e-9);
            if (w.udp && sim_metrics_finish(w.udp, sc->duration_us)) {
                std::fprintf(stderr, "um3n-ns3sim: out of memory for the handover figures\n");
                rc = 1;
            } else if (!WriteOutputs(w, dir) || (!o.plain && !WriteHover(w, dir))) {
                std::fprintf(stderr, "um3n-ns3sim: %s: %s\n", dir.c_str(), std::strerror(errno));
                rc = 1;
            }
            if (!o.plain)
                std::printf("engine: mn_tun_err=%llu mn_udp_err=%llu ha_tun_err=%llu "
                            "ha_udp_err=%llu send_failed=%llu events=%llu\n",
                            (unsigned long long)w.mnTunErr, (unsigned long long)w.mnUdpErr,
                            (unsigned long long)w.haTunErr, (unsigned long long)w.haUdpErr,
                            (unsigned long long)w.sendFailed, (unsigned long long)w.events);
            *summary = Summary(w, o.plain ? "plain" : "summary");
        }
        ClearTcpFlows();
        ClearUdpFlows(w);
        ClearRadios();
        ClearLte();
        ClearTracePlayers();
        ClearOutages();
        Simulator::Destroy();
    }
    return rc;
}

} // namespace

int
main(int argc, char** argv)
{
    static sim_scenario sc;
    const char* path = nullptr;
    std::string out = "um3n-ns3sim-out";
    char err[SIM_ERR_MAX];
    double duration = 0;
    bool seedSet = false, bench = false, pcap = false;
    Options o;

    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        char* end = nullptr;
        bool hasArg = i + 1 < argc;

        if (a == "-h" || a == "--help")
            return std::fputs(kUsage, stdout), 0;
        if (a == "--bench") {
            bench = true;
        } else if (a == "--pcap" || a == "--no-pcap") {
            pcap = a == "--pcap";
        } else if (a == "--seed" && hasArg) {
            o.seed = std::strtoull(argv[++i], &end, 10);
            seedSet = true;
            if (*end || !*argv[i] || o.seed == 0)
                return std::fprintf(stderr, "um3n-ns3sim: --seed: expected an integer >= 1\n"), 2;
        } else if (a == "--out" && hasArg) {
            out = argv[++i];
        } else if (a == "--duration" && hasArg) {
            duration = std::strtod(argv[++i], &end);
            if (*end || !(duration > 0 && duration <= 604800))
                return std::fprintf(stderr, "um3n-ns3sim: --duration: expected seconds\n"), 2;
        } else if (a == "--log" && hasArg) {
            o.logLevel = (int)std::strtol(argv[++i], &end, 10);
            if (*end || o.logLevel < 0 || o.logLevel > 3)
                return std::fprintf(stderr, "um3n-ns3sim: --log: expected 0..3\n"), 2;
        } else if (a[0] != '-' && !path) {
            path = argv[i];
        } else {
            return std::fprintf(stderr, "%s", kUsage), 2;
        }
    }
    if (!path)
        return std::fprintf(stderr, "%s", kUsage), 2;
    std::string why, text;
    {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream all;

        if (!in)
            return std::fprintf(stderr, "%s:0: cannot open: %s\n", path, std::strerror(errno)), 2;
        all << in.rdbuf();
        text = all.str();
    }
    if (!ExtractRadio(path, text, o, why))
        return std::fprintf(stderr, "%s\n", why.c_str()), 2;
    if (sim_scenario_parse(path, text.data(), text.size(), &sc, err, sizeof(err)))
        return std::fprintf(stderr, "%s\n", err), 2;
    if (!CheckRadio(&sc, o, why))
        return std::fprintf(stderr, "%s\n", why.c_str()), 2;
    if (duration && sim_scenario_set_duration(&sc, (uint64_t)(duration * 1e6 + 0.5)))
        return std::fprintf(stderr, "um3n-ns3sim: --duration: too short for the flows\n"), 2;
    if (bench && (o.radio.present || o.lte.present || HasUdp(&sc)))
        return std::fprintf(stderr, "um3n-ns3sim: --bench: TCP flows over point-to-point "
                                    "links only\n"), 2;
    if (!seedSet)
        o.seed = sc.seed ? sc.seed : 1; // ns-3 run numbers start at 1
    if (sim_schedule_expand(&sc, o.seed, err, sizeof(err))) // flap, onoff: over the run
        return std::fprintf(stderr, "%s\n", err), 2;
    // event_jitter_ms: every scheduled event (outages, signal points, the
    // [handover] window) later by one offset from the seed, as um3n-sim does.
    sim_scenario_jitter_events(&sc, o.seed);
    // The handover window of a walk: around the instant the path-loss model
    // puts the signal below the engine's threshold, unless [handover] says
    // (after the jitter: the walk is not a scheduled event).
    int64_t cross =
        o.radio.present ? RadioCrossingUs(o.radio, o.mob, DegradedDbm(&sc), sc.duration_us) : -1;
    if (!sc.handover_set && cross >= 0) {
        sc.handover_set = true;
        sc.handover_at_us = (uint64_t)cross;
    }
    if (pcap)
        o.pcapDir = out;
    std::printf("seed=%llu\n", (unsigned long long)o.seed);
    std::fflush(stdout);

    // TCP as on Linux where ns-3's defaults differ: full-size segments that
    // fit the tunnel (the TUN MTU less 40 bytes of headers and 12 of
    // timestamps), buffers that do not cap a 20 Mbit/s flow over 200 ms
    // (Linux autotunes up to 4-6 MiB).
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1500 - 44 - 52));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
    // Linux's minimum RTO (TCP_RTO_MIN, 200 ms); ns-3's default is 1 s.
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(MilliSeconds(200)));
    // Linux's delayed-ACK timeout (TCP_DELACK_MIN, 40 ms); ns-3's default
    // is 200 ms, the minimum RTO: a sender down to one segment then times
    // out before the lone segment's ACK comes, resets its window to one
    // segment, and does so again every round (measured: an aggregated
    // CUBIC flow stuck at one segment, 0.2 Mbit/s, for the rest of a run).
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(40)));

    double speed = 0, plainSpeed = 0, cpuSpeed = 0, plainCpuSpeed = 0;
    std::string summary, plainSummary;
    int rc = RunWorld(&sc, o, out, &speed, &cpuSpeed, &summary);
    if (rc == 0 && bench) {
        // The same flows on plain ns-3 right after, in the same process: the
        // two speeds are measured side by side.
        Options p = o;
        p.plain = true;
        p.pcapDir = pcap ? out + "/plain" : "";
        rc = RunWorld(&sc, p, out + "/plain", &plainSpeed, &plainCpuSpeed, &plainSummary);
        std::printf("%s\n", plainSummary.c_str());
        // CPU seconds beside wall seconds: on a shared machine the wall clock
        // also counts other processes' time.
        std::printf("bench: um3n_sim_s_per_wall_s=%.2f plain_sim_s_per_wall_s=%.2f "
                    "slowdown=%.2f um3n_sim_s_per_cpu_s=%.2f plain_sim_s_per_cpu_s=%.2f "
                    "cpu_slowdown=%.2f\n",
                    speed, plainSpeed, speed > 0 ? plainSpeed / speed : 0.0, cpuSpeed,
                    plainCpuSpeed, cpuSpeed > 0 ? plainCpuSpeed / cpuSpeed : 0.0);
    }
    if (!summary.empty())
        std::printf("%s\n", summary.c_str());
    return rc;
}
