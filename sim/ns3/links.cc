// The scenario's links in um3n-ns3sim: a point-to-point link per [link NAME],
// or, for the link an 802.11g [radio NAME] section names, an infrastructure
// network: the MN a station walking under [mobility], an access point node
// wired to the HA by a point-to-point link with the [link]'s parameters.
// The station's received signal strength becomes the engine's SIGNAL events,
// its association UP and its loss DOWN (sim/README.md, "um3n-ns3sim").
#include "ns3sim.hh"

#include "ns3/error-model.h"
#include "ns3/mobility-module.h"
#include "ns3/propagation-module.h"
#include "ns3/traffic-control-module.h"
#include "ns3/wifi-module.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <memory>

extern "C" {
#include "confkeys.h"
}

using namespace ns3;

namespace um3n
{
namespace
{

// Gilbert-Elliott loss (um3n-sim's ge_* keys, as sim/link.c draws it): per
// packet, the uniform loss first, then a step between Good and Bad and a
// loss with the probability of the state it is in. ns-3 has no such model;
// one error model per device, so the uniform one is folded in here.
class GeErrorModel : public ErrorModel
{
  public:
    static TypeId GetTypeId()
    {
        static TypeId t = TypeId("um3n::GeErrorModel")
                              .SetParent<ErrorModel>()
                              .AddConstructor<GeErrorModel>();
        return t;
    }

    void Configure(const sim_link_spec& ls, int64_t stream)
    {
        uniform = ls.loss_ppb / 1e9;
        pGb = ls.ge_p_gb_ppb / 1e9;
        pBg = ls.ge_p_bg_ppb / 1e9;
        lossGood = ls.ge_loss_good_ppb / 1e9;
        lossBad = ls.ge_loss_bad_ppb / 1e9;
        u = CreateObject<UniformRandomVariable>();
        u->SetStream(stream);
    }

  private:
    bool DoCorrupt(Ptr<Packet>) override
    {
        bool lost = u->GetValue() < uniform;

        if (bad ? u->GetValue() < pBg : u->GetValue() < pGb)
            bad = !bad;
        return u->GetValue() < (bad ? lossBad : lossGood) || lost;
    }

    void DoReset() override { bad = false; }

    Ptr<UniformRandomVariable> u;
    double uniform = 0, pGb = 0, pBg = 0, lossGood = 0, lossBad = 0;
    bool bad = false;
};

// A point-to-point channel with um3n-sim's jitter (jitter_ms, reorder;
// sim/link.c): each packet arrives its transmission plus the delay plus an
// extra uniform in [0, jitter] later, and never before the one sent ahead of
// it in its direction unless reorder = yes. ns-3's channel has one fixed
// delay; this one replaces it on a link with jitter.
class JitterChannel : public PointToPointChannel
{
  public:
    static TypeId GetTypeId()
    {
        static TypeId t = TypeId("um3n::JitterChannel")
                              .SetParent<PointToPointChannel>()
                              .AddConstructor<JitterChannel>();
        return t;
    }

    void Configure(const sim_link_spec& ls, int64_t stream)
    {
        jitterUs = ls.jitter_us;
        reorder = ls.reorder;
        u = CreateObject<UniformRandomVariable>();
        u->SetStream(stream);
    }

    bool TransmitStart(Ptr<const Packet> p, Ptr<PointToPointNetDevice> src, Time txTime) override
    {
        uint32_t wire = src == GetSource(0) ? 0 : 1;
        Ptr<PointToPointNetDevice> dst = GetDestination(wire);
        // Whole microseconds, as um3n-sim draws them.
        Time at = Simulator::Now() + txTime + GetDelay() +
                  MicroSeconds((int64_t)u->GetInteger(0, jitterUs));

        if (!reorder && at < last[wire])
            at = last[wire];
        last[wire] = at;
        Simulator::ScheduleWithContext(dst->GetNode()->GetId(), at - Simulator::Now(),
                                       &PointToPointNetDevice::Receive, dst, p->Copy());
        return true;
    }

  private:
    Ptr<UniformRandomVariable> u;
    uint32_t jitterUs = 0;
    bool reorder = false;
    Time last[2];
};

const uint64_t kReportUs = 100000; // a SIGNAL event at most this often
const double kEwmaGain = 0.25;     // weight of a new RSSI sample in the smoothed value

uint64_t
NowUs()
{
    return (uint64_t)Simulator::Now().GetMicroSeconds();
}

uint32_t
AddIf(Ptr<Node> node, Ptr<NetDevice> dev, Ipv4Address addr, Ipv4Mask mask)
{
    Ptr<Ipv4> ip = node->GetObject<Ipv4>();
    int32_t ifc = ip->AddInterface(dev);

    assert(ifc >= 0);
    ip->AddAddress(ifc, Ipv4InterfaceAddress(addr, mask));
    ip->SetUp(ifc);
    return (uint32_t)ifc;
}

// The station's view of its access point, turned into link events: the
// RSSI of every frame it receives (all from the AP: one BSS), smoothed by an
// EWMA and reported in whole dBm at most every kReportUs, when that whole
// value changed (a walk changes it every second or so; a report per beacon
// would only repeat itself); association UP, its loss DOWN.
struct Monitor
{
    LinkEventFn ev;
    int link;
    RadioFigures* fig;
    int degradedDbm;
    bool log; // --log 3: each report and association loss on stderr
    double ewma = 0;
    bool any = false, fresh = false, assoc = false;
    int reported = 0;
    bool reportedAny = false;

    void OnRx(Ptr<const Packet>, uint16_t, WifiTxVector, MpduInfo, SignalNoiseDbm sn, uint16_t)
    {
        ewma = any ? ewma + kEwmaGain * (sn.signal - ewma) : sn.signal;
        any = fresh = true;
    }

    void Tick()
    {
        Simulator::Schedule(MicroSeconds(kReportUs), &Monitor::Tick, this);
        if (!fresh || !assoc)
            return;
        fresh = false;
        int dbm = (int)std::lround(ewma);
        if (reportedAny && dbm == reported)
            return;
        if (dbm < degradedDbm && (!reportedAny || reported >= degradedDbm) &&
            fig->crossingUs < 0)
            fig->crossingUs = (int64_t)NowUs();
        if (log)
            std::fprintf(stderr, "[%10.6f] radio %d link %d: signal %d dBm (smoothed %.2f)\n",
                         Simulator::Now().GetSeconds(), UM3N_LOG_DEBUG, link, dbm, ewma);
        reported = dbm;
        reportedAny = true;
        fig->signalEvents++;
        ev(link, UM3N_LINK_EV_SIGNAL, dbm);
    }

    void OnAssoc(Mac48Address)
    {
        assoc = true;
        if (fig->assocUs < 0)
            fig->assocUs = (int64_t)NowUs();
        fig->assocs++;
        // After StaWifiMac has finished: it calls this before it counts
        // itself associated, and the engine sends its registration at once.
        Simulator::ScheduleNow(&Monitor::Up, this);
    }

    void Up()
    {
        if (assoc)
            ev(link, UM3N_LINK_EV_UP, 0);
    }

    void OnDeAssoc(Mac48Address)
    {
        if (log)
            std::fprintf(stderr, "[%10.6f] radio %d link %d: association lost (smoothed %.2f)\n",
                         Simulator::Now().GetSeconds(), UM3N_LOG_DEBUG, link, ewma);
        assoc = false;
        reportedAny = false; // the next association reports its signal afresh
        if (fig->deassocUs < 0)
            fig->deassocUs = (int64_t)NowUs();
        fig->deassocs++;
        ev(link, UM3N_LINK_EV_DOWN, 0);
    }
};

std::vector<std::unique_ptr<Monitor>> gMonitors;

// One side's receive error model (side 1: the HA's), or none for a link
// without loss. Fixed streams, by class and rank within it, so that a link
// draws the same losses in every scenario it appears in (the wifi of
// fig5-wifi and of fig5-multihoming).
Ptr<ErrorModel>
LossModel(const sim_link_spec& ls, size_t rank, int side)
{
    int64_t stream = (int64_t)(16 * ls.engine.link_class + 2 * rank + side);

    if (ls.ge_p_gb_ppb || ls.ge_loss_good_ppb) { // as sim/link.c's ge_enabled
        Ptr<GeErrorModel> em = CreateObject<GeErrorModel>();

        em->Configure(ls, 1100 + stream);
        return em;
    }
    if (!ls.loss_ppb)
        return nullptr;
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();

    em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
    em->SetRate(ls.loss_ppb / 1e9);
    em->AssignStreams(100 + stream);
    return em;
}

} // namespace

LinkDevs
BuildP2pLink(World& w,
             size_t i,
             Ptr<Node> mn,
             Ptr<Node> ha,
             Ipv4Address coa,
             size_t rank,
             const char* side)
{
    const sim_link_spec& ls = w.sc->links[i];
    uint64_t q = ls.queue_bytes ? ls.queue_bytes : 1000000000ull; // sim: unlimited
    PointToPointHelper p2p;
    LinkDevs d;

    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
                 QueueSizeValue(QueueSize(QueueSizeUnit::BYTES, (uint32_t)q)));
    p2p.SetChannelAttribute("Delay", TimeValue(MicroSeconds(ls.delay_us)));
    NetDeviceContainer c = p2p.Install(mn, ha);
    Ptr<PointToPointNetDevice> m = DynamicCast<PointToPointNetDevice>(c.Get(0));
    Ptr<PointToPointNetDevice> h = DynamicCast<PointToPointNetDevice>(c.Get(1));

    if (ls.jitter_us) {
        Ptr<JitterChannel> jc = CreateObject<JitterChannel>();

        jc->SetAttribute("Delay", TimeValue(MicroSeconds(ls.delay_us)));
        jc->Configure(ls, (int64_t)(1200 + 16 * ls.engine.link_class + rank));
        m->Attach(jc); // in place of the helper's channel, which is left unused
        h->Attach(jc);
    }
    if (const sim_trace* up = LinkTrace(w, i, true))
        PlayTrace(m, up);
    else
        m->SetDataRate(DataRate(ls.up_rate_bps ? ls.up_rate_bps : ls.rate_bps));
    if (const sim_trace* down = LinkTrace(w, i, false))
        PlayTrace(h, down);
    else
        h->SetDataRate(DataRate(ls.rate_bps));
    for (int side = 0; side < 2; side++)
        if (Ptr<ErrorModel> em = LossModel(ls, rank, side))
            (side ? h : m)->SetReceiveErrorModel(em);
    if (!w.opts.pcapDir.empty()) {
        std::string base = w.opts.pcapDir + "/link-" + ls.name;

        p2p.EnablePcap(base + "-" + side + ".pcap", m, false, true);
        p2p.EnablePcap(base + "-ha.pcap", h, false, true);
    }
    d.mn = m;
    d.ha = h;
    if (ls.qdisc == SIM_QDISC_FQ_CODEL) {
        // ns-3's default queue disc (FqCoDel: 5 ms target, 100 ms interval,
        // 10240 packets) in front of the downlink's device queue: what that
        // cannot take waits here until CoDel drops it, so the device queue
        // never overflows. What Ipv4AddressHelper gives the ns-3 testbed's
        // router (emu/ns3), and many WiFi access points' Linux has.
        TrafficControlHelper::Default().Install(NetDeviceContainer(h));
    }
    d.mnIf = AddIf(mn, m, coa, Ipv4Mask::GetOnes());
    return d;
}

LinkDevs
BuildRadioLink(World& w,
               size_t i,
               const RadioSpec& r,
               Ptr<Node> mn,
               Ptr<Node> ha,
               Ipv4Address coa,
               size_t rank,
               int degradedDbm,
               LinkEventFn ev,
               RadioFigures* fig)
{
    assert(r.present && i < w.sc->n_links && r.link == w.sc->links[i].name);
    const sim_link_spec& ls = w.sc->links[i];
    Ptr<Node> ap = CreateObject<Node>();
    InternetStackHelper internet;
    LinkDevs d;

    internet.Install(ap);
    // The wire from the AP to the HA: the [link]'s point-to-point parameters.
    // Its AP side takes a private address; the AP routes between the two.
    LinkDevs wire = BuildP2pLink(w, i, ap, ha, Ipv4Address(0x0afe0001u + ((uint32_t)i << 8)),
                                 rank, "ap");
    uint32_t apWireIf = wire.mnIf;

    YansWifiChannelHelper ch;
    ch.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
    ch.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent",
                          DoubleValue(r.exponent), "ReferenceDistance", DoubleValue(1.0),
                          "ReferenceLoss", DoubleValue(r.refLossDb));
    YansWifiPhyHelper phy;
    phy.SetChannel(ch.Create());
    phy.Set("TxPowerStart", DoubleValue(r.txPowerDbm));
    phy.Set("TxPowerEnd", DoubleValue(r.txPowerDbm));
    WifiHelper wifi;
    bool g = r.standard == "802.11g";
    wifi.SetStandard(g ? WIFI_STANDARD_80211g
                     : r.standard == "802.11n" ? WIFI_STANDARD_80211n
                                               : WIFI_STANDARD_80211ac);
    if (!g) // channel 0: the standard's default for the band and width
        phy.Set("ChannelSettings",
                StringValue("{0, " + std::to_string(r.widthMhz) + ", " +
                            (r.bandGhz == 5 ? "BAND_5GHZ" : "BAND_2_4GHZ") + ", 0}"));
    if (r.rateControl == "minstrel") // Minstrel-HT for the HT and VHT rates
        wifi.SetRemoteStationManager(g ? "ns3::MinstrelWifiManager" : "ns3::MinstrelHtWifiManager");
    else
        wifi.SetRemoteStationManager("ns3::IdealWifiManager");
    WifiMacHelper mac;
    Ssid ssid("um3n");
    mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(ssid), "ActiveProbing", BooleanValue(false),
                "MaxMissedBeacons", UintegerValue(r.maxMissedBeacons));
    NetDeviceContainer sta = wifi.Install(phy, mac, mn);
    mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid), "BeaconInterval",
                TimeValue(MicroSeconds(r.beaconUs)));
    NetDeviceContainer apd = wifi.Install(phy, mac, ap);
    NetDeviceContainer both(sta, apd);
    // Fixed streams: the radio's draws do not move when other links change.
    wifi.AssignStreams(both, 1000 + 100 * (int64_t)i);

    Ptr<ConstantPositionMobilityModel> apPos = CreateObject<ConstantPositionMobilityModel>();
    apPos->SetPosition(Vector(r.apX, r.apY, 0));
    ap->AggregateObject(apPos);
    // The wireless subnet: the CoA's /24, the AP on .1 (.254 if that is the CoA).
    uint32_t net = coa.Get() & 0xffffff00u;
    Ipv4Address apAddr(coa.Get() == net + 1 ? net + 254 : net + 1);
    Ipv4Mask m24("255.255.255.0");
    AddIf(ap, apd.Get(0), apAddr, m24);
    d.mnIf = AddIf(mn, sta.Get(0), coa, m24);
    d.mn = sta.Get(0);
    d.ha = wire.ha;
    d.ap = apd.Get(0);
    d.gw = apAddr;
    Ipv4StaticRoutingHelper rh;
    rh.GetStaticRouting(ap->GetObject<Ipv4>())
        ->AddHostRouteTo(Ipv4Address(kHaAddrV4), apWireIf);
    phy.SetPcapDataLinkType(WifiPhyHelper::DLT_IEEE802_11_RADIO); // radiotap: the RSSI shows
    if (!w.opts.pcapDir.empty())
        phy.EnablePcap(w.opts.pcapDir + "/radio-" + ls.name + "-mn.pcap", sta.Get(0), false,
                       true);

    auto mon = std::make_unique<Monitor>();
    mon->ev = ev;
    mon->link = (int)i;
    mon->fig = fig;
    mon->degradedDbm = degradedDbm;
    mon->log = w.opts.logLevel >= UM3N_LOG_DEBUG;
    Ptr<WifiNetDevice> wd = DynamicCast<WifiNetDevice>(sta.Get(0));
    wd->GetPhy()->TraceConnectWithoutContext("MonitorSnifferRx",
                                             MakeCallback(&Monitor::OnRx, mon.get()));
    wd->GetMac()->TraceConnectWithoutContext("Assoc", MakeCallback(&Monitor::OnAssoc, mon.get()));
    wd->GetMac()->TraceConnectWithoutContext("DeAssoc",
                                             MakeCallback(&Monitor::OnDeAssoc, mon.get()));
    Simulator::Schedule(MicroSeconds(kReportUs), &Monitor::Tick, mon.get());
    gMonitors.push_back(std::move(mon));
    return d;
}

void
ClearRadios()
{
    gMonitors.clear();
}

void
InstallMobility(Ptr<Node> mn, const MobilitySpec& m)
{
    if (m.wayT.empty()) {
        Ptr<ConstantVelocityMobilityModel> walk = CreateObject<ConstantVelocityMobilityModel>();
        walk->SetPosition(Vector(m.startX, m.startY, 0));
        mn->AggregateObject(walk);
        Vector v(m.speed * std::cos(m.dirDeg * M_PI / 180),
                 m.speed * std::sin(m.dirDeg * M_PI / 180), 0);
        Simulator::Schedule(MicroSeconds(m.walkFromUs),
                            &ConstantVelocityMobilityModel::SetVelocity, walk, v);
    } else { // at the first waypoint until its time, then from one to the next
        Ptr<WaypointMobilityModel> way = CreateObject<WaypointMobilityModel>();
        way->SetPosition(Vector(m.wayX[0], m.wayY[0], 0));
        for (size_t k = 0; k < m.wayT.size(); k++)
            way->AddWaypoint(Waypoint(Seconds(m.wayT[k]), Vector(m.wayX[k], m.wayY[k], 0)));
        mn->AggregateObject(way);
    }
}

int
DegradedDbm(const sim_scenario* sc)
{
    um3n_mn_conf mc;

    um3n_mn_conf_defaults(&mc);
    um3n_confkeys_copy(UM3N_CONFKEYS_MN, &mc, &sc->mn, sc->mn_set);
    return mc.signal_degraded_dbm;
}

double
RadioRssiAt(const RadioSpec& ra, const MobilitySpec& r, double t)
{
    double walked = t > r.walkFromUs / 1e6 ? (t - r.walkFromUs / 1e6) * r.speed : 0;
    double x = r.startX + walked * std::cos(r.dirDeg * M_PI / 180) - ra.apX;
    double y = r.startY + walked * std::sin(r.dirDeg * M_PI / 180) - ra.apY;

    if (!r.wayT.empty()) { // linear between waypoints, as WaypointMobilityModel
        size_t k = 0, n = r.wayT.size();

        while (k + 1 < n && r.wayT[k + 1] <= t)
            k++;
        double f = k + 1 < n && t > r.wayT[k] ? (t - r.wayT[k]) / (r.wayT[k + 1] - r.wayT[k]) : 0;
        size_t j = k + 1 < n ? k + 1 : k;
        x = r.wayX[k] + f * (r.wayX[j] - r.wayX[k]) - ra.apX;
        y = r.wayY[k] + f * (r.wayY[j] - r.wayY[k]) - ra.apY;
    }
    double dist = std::sqrt(x * x + y * y);

    // LogDistancePropagationLossModel: the reference loss inside 1 m.
    return ra.txPowerDbm - ra.refLossDb - (dist <= 1 ? 0 : 10 * ra.exponent * std::log10(dist));
}

int64_t
RadioCrossingUs(const RadioSpec& r, const MobilitySpec& m, int dbm, uint64_t durationUs)
{
    // The first instant on a 10 ms grid (finer than the beacons, 102.4 ms).
    for (uint64_t t = 0; t <= durationUs; t += 10000)
        if (RadioRssiAt(r, m, t / 1e6) < dbm - 0.5) // the reports are rounded to whole dBm
            return (int64_t)t;
    return -1;
}

} // namespace um3n
