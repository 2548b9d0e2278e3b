// An LTE cell in um3n-ns3sim: the [link NAME] an lte [radio NAME] section
// names becomes ns-3's LENA model with its EPC. The MN is a UE (a device
// beside its other links' devices), one eNB serves it, and the EPC's packet
// gateway is wired to the HA by a point-to-point link with the [link]'s
// parameters: the tunnel's datagrams cross the radio, the S1-U/S5 GTP
// tunnels and that wire. The UE's address comes from the EPC (7.0.0.0/8), so
// it, not the [link]'s coa, is the link's care-of address. With several
// eNBs (enb_position repeated) they are joined by X2 and ns-3's handover
// algorithm moves the UE between them: the address, and so the binding,
// stays; what the tunnel sees is the handover's interruption.
//
// Link events come from the UE's NAS: UP when it is ACTIVE (a data bearer
// exists), DOWN when it leaves that state (a radio link failure). The cell's
// RSRP is recorded but not sent as SIGNAL events: the engine's
// signal_degraded_dbm is a WiFi threshold, and RSRP (per resource element)
// is on another scale (sim/README.md, "um3n-ns3sim").
#include "ns3sim.hh"

#include "ns3/lte-module.h"
#include "ns3/mobility-module.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <memory>

using namespace ns3;

namespace um3n
{
namespace
{

uint64_t
NowUs()
{
    return (uint64_t)Simulator::Now().GetMicroSeconds();
}

struct LteMonitor
{
    LinkEventFn ev;
    int link;
    LteFigures* fig;
    bool log;
    bool active = false;

    void Note(const char* what)
    {
        if (log)
            std::fprintf(stderr, "[%10.6f] lte link %d: %s\n", Simulator::Now().GetSeconds(),
                         link, what);
    }

    void OnNas(EpcUeNas::State, EpcUeNas::State now)
    {
        bool up = now == EpcUeNas::ACTIVE;

        if (up == active)
            return;
        active = up;
        if (up) {
            Note("NAS active: up");
            if (fig->activeUs < 0)
                fig->activeUs = (int64_t)NowUs();
            fig->actives++;
            // After the NAS has finished switching: the engine registers at once.
            Simulator::ScheduleNow(&LteMonitor::Up, this);
        } else {
            Note("NAS left active: down");
            fig->inactives++;
            ev(link, UM3N_LINK_EV_DOWN, 0);
        }
    }

    void Up()
    {
        if (active)
            ev(link, UM3N_LINK_EV_UP, 0);
    }

    void OnHandoverStart(uint64_t, uint16_t cell, uint16_t, uint16_t target)
    {
        Note("X2 handover started");
        fig->handovers.push_back({(int64_t)NowUs(), -1, cell, target});
    }

    void OnHandoverEnd(bool ok, uint64_t, uint16_t, uint16_t)
    {
        Note(ok ? "X2 handover done" : "X2 handover failed");
        if (!ok)
            fig->handoverFailures++;
        else if (!fig->handovers.empty() && fig->handovers.back().endUs < 0)
            fig->handovers.back().endUs = (int64_t)NowUs();
    }

    void OnHandoverOk(uint64_t imsi, uint16_t cell, uint16_t rnti)
    {
        OnHandoverEnd(true, imsi, cell, rnti);
    }

    void OnHandoverError(uint64_t imsi, uint16_t cell, uint16_t rnti)
    {
        OnHandoverEnd(false, imsi, cell, rnti);
    }

    void OnFailure(uint64_t, uint16_t, uint16_t)
    {
        Note("radio link failure");
        fig->linkFailures++;
    }

    // rsrp in watts per resource element, sinr linear (LteUePhy).
    void OnReport(uint16_t, uint16_t, double rsrp, double sinr, uint8_t)
    {
        double r = 10 * std::log10(rsrp * 1000), s = 10 * std::log10(sinr);

        // Below 3GPP's reporting range (-140 dBm): no cell heard (an
        // outage switches the eNBs off), nothing to average.
        if (!std::isfinite(r) || !std::isfinite(s) || r < -140) {
            fig->unheard++;
            return;
        }
        fig->rsrpMin = fig->reports ? std::min(fig->rsrpMin, r) : r;
        fig->rsrpMax = fig->reports ? std::max(fig->rsrpMax, r) : r;
        fig->sinrMin = fig->reports ? std::min(fig->sinrMin, s) : s;
        fig->rsrpSum += r;
        fig->sinrSum += s;
        fig->reports++;
    }
};

std::vector<std::unique_ptr<LteMonitor>> gLteMonitors;
Ptr<LteHelper> gLte; // kept for the run: it owns the EPC helper and the cell's setup

void
Configure(const LteSpec& s, const sim_link_spec& ls)
{
    Config::SetDefault("ns3::LteEnbPhy::TxPower", DoubleValue(s.enbTxPowerDbm));
    Config::SetDefault("ns3::LteUePhy::TxPower", DoubleValue(s.ueTxPowerDbm));
    // The RLC buffer is the cell's queue, both ways: the [link]'s queue
    // size when it has one (LENA's default is 10 KiB, 7 full packets).
    uint32_t q = ls.queue_bytes ? ls.queue_bytes : 1u << 20;
    Config::SetDefault("ns3::LteRlcUm::MaxTxBufferSize", UintegerValue(q));
}

void
SetHandover(const LteSpec& s)
{
    switch (s.handover) {
    case LteHandover::A3Rsrp:
        gLte->SetHandoverAlgorithmType("ns3::A3RsrpHandoverAlgorithm");
        gLte->SetHandoverAlgorithmAttribute("Hysteresis", DoubleValue(s.hysteresisDb));
        gLte->SetHandoverAlgorithmAttribute("TimeToTrigger",
                                            TimeValue(MilliSeconds(s.timeToTriggerMs)));
        break;
    case LteHandover::A2A4Rsrq:
        gLte->SetHandoverAlgorithmType("ns3::A2A4RsrqHandoverAlgorithm");
        break;
    case LteHandover::None:
        gLte->SetHandoverAlgorithmType("ns3::NoOpHandoverAlgorithm");
        break;
    }
}

} // namespace

LinkDevs
BuildLteLink(World& w,
             size_t i,
             const LteSpec& s,
             Ptr<Node> mn,
             Ptr<Node> ha,
             size_t rank,
             LinkEventFn ev,
             LteFigures* fig,
             Ipv4Address* coa)
{
    assert(s.present && i < w.sc->n_links && s.link == w.sc->links[i].name && !gLte);
    const sim_link_spec& ls = w.sc->links[i];
    LinkDevs d;

    Configure(s, ls);
    gLte = CreateObject<LteHelper>();
    Ptr<PointToPointEpcHelper> epc = CreateObject<PointToPointEpcHelper>();
    gLte->SetEpcHelper(epc);
    gLte->SetSchedulerType(s.scheduler == "rr" ? "ns3::RrFfMacScheduler"
                                               : "ns3::PfFfMacScheduler");
    gLte->SetPathlossModelType(LogDistancePropagationLossModel::GetTypeId());
    gLte->SetPathlossModelAttribute("Exponent", DoubleValue(s.exponent));
    gLte->SetPathlossModelAttribute("ReferenceDistance", DoubleValue(1.0));
    gLte->SetPathlossModelAttribute("ReferenceLoss", DoubleValue(s.refLossDb));
    gLte->SetEnbDeviceAttribute("DlBandwidth", UintegerValue(s.bandwidthRb));
    gLte->SetEnbDeviceAttribute("UlBandwidth", UintegerValue(s.bandwidthRb));
    SetHandover(s);

    // The wire from the packet gateway to the HA: the [link]'s parameters.
    Ptr<Node> pgw = epc->GetPgwNode();
    LinkDevs wire = BuildP2pLink(w, i, pgw, ha, Ipv4Address(0x0afe0001u + ((uint32_t)i << 8)),
                                 rank, "pgw");
    Ipv4StaticRoutingHelper rh;
    rh.GetStaticRouting(pgw->GetObject<Ipv4>())->AddHostRouteTo(Ipv4Address(kHaAddrV4),
                                                                wire.mnIf);

    NodeContainer enbs;
    assert(!s.enbX.empty() && s.enbX.size() == s.enbY.size());
    for (size_t e = 0; e < s.enbX.size(); e++) {
        Ptr<Node> enb = CreateObject<Node>();
        Ptr<ConstantPositionMobilityModel> pos = CreateObject<ConstantPositionMobilityModel>();
        pos->SetPosition(Vector(s.enbX[e], s.enbY[e], 0));
        enb->AggregateObject(pos);
        enbs.Add(enb);
    }
    NetDeviceContainer enbDev = gLte->InstallEnbDevice(enbs);
    NetDeviceContainer ueDev = gLte->InstallUeDevice(NodeContainer(mn));
    if (enbs.GetN() > 1)
        gLte->AddX2Interface(enbs);
    // Fixed streams: the cell's draws do not move when other links change.
    gLte->AssignStreams(NetDeviceContainer(enbDev, ueDev), 2000 + 100 * (int64_t)i);
    Ipv4InterfaceContainer ueIf = epc->AssignUeIpv4Address(ueDev);
    *coa = ueIf.GetAddress(0);

    auto mon = std::make_unique<LteMonitor>();
    mon->ev = ev;
    mon->link = (int)i;
    mon->fig = fig;
    mon->log = w.opts.logLevel >= UM3N_LOG_DEBUG;
    Ptr<LteUeNetDevice> ue = DynamicCast<LteUeNetDevice>(ueDev.Get(0));
    ue->GetNas()->TraceConnectWithoutContext("StateTransition",
                                             MakeCallback(&LteMonitor::OnNas, mon.get()));
    ue->GetRrc()->TraceConnectWithoutContext("RadioLinkFailure",
                                             MakeCallback(&LteMonitor::OnFailure, mon.get()));
    ue->GetPhy()->TraceConnectWithoutContext("ReportCurrentCellRsrpSinr",
                                             MakeCallback(&LteMonitor::OnReport, mon.get()));
    ue->GetRrc()->TraceConnectWithoutContext(
        "HandoverStart",
        MakeCallback(&LteMonitor::OnHandoverStart, mon.get()));
    ue->GetRrc()->TraceConnectWithoutContext("HandoverEndOk",
                                             MakeCallback(&LteMonitor::OnHandoverOk, mon.get()));
    ue->GetRrc()->TraceConnectWithoutContext(
        "HandoverEndError",
        MakeCallback(&LteMonitor::OnHandoverError, mon.get()));
    gLteMonitors.push_back(std::move(mon));
    // Connected mode at once, with the default bearer, on the closest eNB
    // (the strongest: the same power and path loss for all).
    gLte->AttachToClosestEnb(ueDev.Get(0), enbDev);

    Ptr<Ipv4> ip = mn->GetObject<Ipv4>();
    d.mn = ueDev.Get(0);
    d.ha = wire.ha;
    for (uint32_t e = 0; e < enbDev.GetN(); e++)
        d.enbs.push_back(enbDev.Get(e));
    d.mnIf = (uint32_t)ip->GetInterfaceForDevice(d.mn);
    d.gw = epc->GetUeDefaultGatewayAddress(); // pcaps: the wire's (link-NAME-{pgw,ha})
    return d;
}

void
ClearLte()
{
    gLteMonitors.clear();
    gLte = nullptr;
}

namespace
{

// The UE's RRC from HandoverStart to HandoverEndOk; -1 if it never ended.
double
HandoverMs(const LteFigures::Handover& h)
{
    return h.endUs < 0 ? -1.0 : Ms(h.endUs - h.startUs);
}

} // namespace

void
WriteLteJson(FILE* f, const LteSpec& s, const LteFigures& l)
{
    double n = l.reports ? (double)l.reports : 1;

    std::fprintf(f,
                 ",\n  \"lte\": {\"link\": \"%s\", \"enbs\": %zu, \"active_s\": %.3f, "
                 "\"actives\": %llu, \"inactives\": %llu, \"radio_link_failures\": %llu, "
                 "\"reports\": %llu, \"unheard\": %llu, "
                 "\"rsrp_dbm\": {\"min\": %.2f, \"mean\": %.2f, \"max\": %.2f}, "
                 "\"sinr_db\": {\"min\": %.2f, \"mean\": %.2f}, "
                 "\"handover_failures\": %llu, \"handovers\": [",
                 s.link.c_str(), s.enbX.size(), Sec(l.activeUs),
                 (unsigned long long)l.actives, (unsigned long long)l.inactives,
                 (unsigned long long)l.linkFailures, (unsigned long long)l.reports,
                 (unsigned long long)l.unheard, l.rsrpMin,
                 l.rsrpSum / n, l.rsrpMax, l.sinrMin, l.sinrSum / n,
                 (unsigned long long)l.handoverFailures);
    for (size_t i = 0; i < l.handovers.size(); i++) {
        const LteFigures::Handover& h = l.handovers[i];

        std::fprintf(f,
                     "%s{\"start_s\": %.6f, \"ms\": %.3f, \"from_cell\": %u, \"to_cell\": %u}",
                     i ? ", " : "", Sec(h.startUs), HandoverMs(h), (unsigned)h.from,
                     (unsigned)h.to);
    }
    std::fprintf(f, "]}");
}

std::string
LteSummary(const LteFigures& l)
{
    double worst = l.handovers.empty() ? 0 : -1;
    char b[96];

    for (const LteFigures::Handover& h : l.handovers)
        worst = std::max(worst, HandoverMs(h));
    std::snprintf(b, sizeof(b), " lte.handovers=%zu lte.handover_max_ms=%.3f", l.handovers.size(),
                  worst);
    return b;
}

} // namespace um3n
