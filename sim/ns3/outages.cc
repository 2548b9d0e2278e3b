// A link's outage schedule in um3n-ns3sim (issue 12): the same `outage`,
// `outages_file`, `flap` and `onoff` keys um3n-sim takes (sim/README.md),
// played on ns-3's devices. A point-to-point link loses everything in both
// directions (an error model of rate 1 in place of its own, restored after);
// a radio link's access point is switched off (its PHY's off mode): no
// beacons, so the station loses its association after its missed beacons
// and finds it again once the AP is back, and the engine hears DOWN and UP
// from the radio, as on a real walk past a dead AP. An LTE link's eNBs all
// go silent and deaf (LENA's eNB has no off mode: their transmit power is
// set to kEnbOffDbm and their uplink receivers leave the channel): the UE
// declares a radio link failure, its NAS leaves ACTIVE (DOWN)
// and it finds a cell again once they transmit (UP when its NAS is ACTIVE
// again). `carrier` outages also tell the engine DOWN at once (and UP at the
// end of a point-to-point one). Overlapping outages count as their union.
#include "ns3sim.hh"

#include "ns3/lte-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/wifi-module.h"

#include <cstdio>
#include <memory>

using namespace ns3;

namespace um3n
{
namespace
{

// An eNB "off": 250 dB below its usual power, so far below the noise floor
// that no UE hears its reference signals, control or data.
const double kEnbOffDbm = -220;

struct LinkCut
{
    int link = 0;
    LinkEventFn ev;
    bool log = false;
    std::vector<Ptr<PointToPointNetDevice>> devs; // point-to-point: both ends
    std::vector<Ptr<ErrorModel>> saved;           // their own models while cut
    Ptr<WifiPhy> apPhy;                           // radio: the AP's PHY
    std::vector<Ptr<LteEnbPhy>> enbPhys;          // LTE: the eNBs' PHYs
    std::vector<double> enbDbm;                   // ... their own power while off
    std::vector<Ptr<LteSpectrumPhy>> enbUl;       // ... their uplink receivers
    Ptr<RateErrorModel> all;                      // rate 1: every packet lost
    int depth = 0, carrierDepth = 0;

    void Note(const char* what)
    {
        if (log)
            std::fprintf(stderr, "[%10.6f] link %d: %s\n", Simulator::Now().GetSeconds(), link,
                         what);
    }

    void Start(bool carrier)
    {
        if (carrier && carrierDepth++ == 0)
            ev(link, UM3N_LINK_EV_DOWN, 0);
        if (depth++ > 0)
            return;
        Note(apPhy ? "outage: access point off" : Lte() ? "outage: eNBs off" : "outage: link cut");
        if (apPhy) {
            apPhy->SetOffMode();
            return;
        }
        for (size_t k = 0; k < enbPhys.size(); k++) {
            enbDbm[k] = enbPhys[k]->GetTxPower();
            enbPhys[k]->SetTxPower(kEnbOffDbm);
            enbUl[k]->GetChannel()->RemoveRx(enbUl[k]);
        }
        for (size_t k = 0; k < devs.size(); k++) {
            PointerValue pv;

            devs[k]->GetAttribute("ReceiveErrorModel", pv);
            saved[k] = pv.Get<ErrorModel>();
            devs[k]->SetReceiveErrorModel(all);
        }
    }

    void End(bool carrier)
    {
        if (--depth == 0) {
            Note(apPhy  ? "outage over: access point on"
                 : Lte() ? "outage over: eNBs on"
                         : "outage over: link back");
            if (apPhy)
                apPhy->ResumeFromOff();
            for (size_t k = 0; k < enbPhys.size(); k++) {
                enbPhys[k]->SetTxPower(enbDbm[k]);
                enbUl[k]->GetChannel()->AddRx(enbUl[k]);
            }
            for (size_t k = 0; k < devs.size(); k++)
                devs[k]->SetReceiveErrorModel(saved[k]);
        }
        // A radio link is up again when the station associates (links.cc),
        // an LTE link when the UE's NAS is active again (lte.cc).
        if (carrier && --carrierDepth == 0 && !apPhy && !Lte())
            ev(link, UM3N_LINK_EV_UP, 0);
    }

    bool Lte() const { return !enbPhys.empty(); }
};

std::vector<std::unique_ptr<LinkCut>> gCuts;

} // namespace

void
ScheduleOutages(World& w, size_t i, const LinkDevs& d, LinkEventFn ev)
{
    const sim_link_spec& ls = w.sc->links[i];

    if (ls.n_outages == 0)
        return;
    auto c = std::make_unique<LinkCut>();
    c->link = (int)i;
    c->ev = ev;
    c->log = w.opts.logLevel >= UM3N_LOG_DEBUG;
    if (d.ap) {
        c->apPhy = DynamicCast<WifiNetDevice>(d.ap)->GetPhy();
    } else if (!d.enbs.empty()) {
        for (const Ptr<NetDevice>& e : d.enbs) {
            c->enbPhys.push_back(DynamicCast<LteEnbNetDevice>(e)->GetPhy());
            c->enbUl.push_back(c->enbPhys.back()->GetUlSpectrumPhy());
        }
        c->enbDbm.resize(c->enbPhys.size());
    } else {
        c->devs = {DynamicCast<PointToPointNetDevice>(d.mn),
                   DynamicCast<PointToPointNetDevice>(d.ha)};
        c->saved.resize(2);
        c->all = CreateObject<RateErrorModel>();
        c->all->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
        c->all->SetRate(1.0);
        c->all->AssignStreams((int64_t)(900 + i)); // drawn, though always lost: fixed
    }
    for (size_t k = 0; k < ls.n_outages; k++) {
        const sim_outage& o = ls.outages[k];

        if (o.start_us >= w.sc->duration_us)
            continue;
        Simulator::Schedule(MicroSeconds(o.start_us), &LinkCut::Start, c.get(), o.carrier);
        if (o.end_us < w.sc->duration_us)
            Simulator::Schedule(MicroSeconds(o.end_us), &LinkCut::End, c.get(), o.carrier);
    }
    gCuts.push_back(std::move(c));
}

void
ClearOutages()
{
    gCuts.clear();
}

} // namespace um3n
