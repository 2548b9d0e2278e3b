// Rate traces on um3n-ns3sim's point-to-point links: a [link]'s trace and
// up_trace keys, read by um3n-sim's own loader (sim/trace.h: mahimahi,
// "time_s Mbit/s", CSV bytes per second), played with um3n-sim's serialiser
// rule (sim/link.c): a packet starts from the capacity already used by the
// packet before it when it follows that one back to back (so a mahimahi
// opportunity's unused bytes carry over), or from the capacity available now
// when the link was idle (unused capacity is lost, not banked), and ends
// when the trace's cumulative capacity has grown by its size.
//
// PointToPointNetDevice sends each packet at one DataRate, read right after
// its PhyTxBegin trace fires (TransmitStart). So the player listens to that
// trace and sets, for this packet alone, the rate that makes its
// transmission end when the trace says: exact to a microsecond, without
// changing the device (sim/README.md, "um3n-ns3sim").
#include "ns3sim.hh"

#include <cmath>
#include <memory>

extern "C" {
#include "trace.h"
}

using namespace ns3;

namespace um3n
{
namespace
{

const int64_t kBackToBackNs = 1000; // the rate's rounding: a packet's end is within this

struct Player
{
    Ptr<PointToPointNetDevice> dev;
    const sim_trace* tr = nullptr;
    uint64_t cursor = 0;     // capacity (ubits) used up to the end of the last packet
    int64_t lastEndNs = -1;  // when the last packet's transmission ends

    void OnTxBegin(Ptr<const Packet> p)
    {
        int64_t now = Simulator::Now().GetNanoSeconds();
        uint64_t avail = sim_trace_capacity_at(tr, (uint64_t)now / 1000);

        if (now > lastEndNs + kBackToBackNs && cursor < avail)
            cursor = avail; // the link idled: what it did not use is gone
        cursor += (uint64_t)p->GetSize() * SIM_UBITS_PER_BYTE;
        int64_t end = (int64_t)sim_trace_time_for(tr, cursor) * 1000;
        lastEndNs = end > now ? end : now;
        double dt = (double)(lastEndNs - now) / 1e9;
        // The capacity is already there (a mahimahi opportunity's rest): at once.
        double bps = dt > 0 ? std::ceil(p->GetSize() * 8.0 / dt) : 1e12;
        dev->SetDataRate(DataRate((uint64_t)std::min(bps, 1e12)));
    }
};

std::vector<std::unique_ptr<Player>> gPlayers;

} // namespace

bool
LoadTraces(World& w, std::string& err)
{
    char msg[256];

    w.downTrace.assign(w.sc->n_links, sim_trace{});
    w.upTrace.assign(w.sc->n_links, sim_trace{});
    for (size_t i = 0; i < w.sc->n_links; i++) {
        const sim_link_spec& ls = w.sc->links[i];

        if (ls.trace[0] && sim_trace_load(ls.trace, ls.trace_fmt, ls.trace_scale,
                                          &w.downTrace[i], msg, sizeof(msg)))
            return err = msg, false;
        if (ls.up_trace[0] && sim_trace_load(ls.up_trace, ls.up_trace_fmt, ls.trace_scale,
                                             &w.upTrace[i], msg, sizeof(msg)))
            return err = msg, false;
    }
    return true;
}

void
FreeTraces(World& w)
{
    for (sim_trace& t : w.downTrace)
        sim_trace_free(&t);
    for (sim_trace& t : w.upTrace)
        sim_trace_free(&t);
}

const sim_trace*
LinkTrace(const World& w, size_t i, bool up)
{
    const sim_link_spec& ls = w.sc->links[i];

    if (i >= w.downTrace.size() || !w.downTrace[i].period_us)
        return nullptr;
    if (!up)
        return &w.downTrace[i];
    if (w.upTrace[i].period_us)
        return &w.upTrace[i];
    return ls.up_rate_bps ? nullptr : &w.downTrace[i]; // up_rate_mbps: a constant uplink
}

void
PlayTrace(Ptr<PointToPointNetDevice> dev, const sim_trace* tr)
{
    auto p = std::make_unique<Player>();

    p->dev = dev;
    p->tr = tr;
    dev->SetDataRate(DataRate((uint64_t)std::max(sim_trace_mean_bps(tr), 1.0)));
    dev->TraceConnectWithoutContext("PhyTxBegin", MakeCallback(&Player::OnTxBegin, p.get()));
    gPlayers.push_back(std::move(p));
}

void
ClearTracePlayers()
{
    gPlayers.clear();
}

} // namespace um3n
