// The ns-3 world of um3n-ns3sim: nodes, the scenario's links (links.cc),
// and the adaptors that run the MN and HA engines (core/mn.h, core/ha.h)
// on ns-3's clock. ns3sim.hh draws the topology.
#include "ns3sim.hh"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include "confkeys.h"
#include "pcapout.h"
#include "wire.h"
}

using namespace ns3;

namespace um3n
{
namespace
{

const uint16_t kMnPortBase = 49200;
const char kHome[] = "10.200.0.2";
const char kHaTunAddr[] = "10.200.0.1";
const char kHaAddr[] = "192.0.2.1";

uint64_t
NowUs()
{
    return (uint64_t)Simulator::Now().GetMicroSeconds();
}

Ipv4Address
ToNs3(const um3n_addr& a)
{
    return Ipv4Address(um3n_addr_v4(&a));
}

um3n_sockaddr
FromNs3(const Address& a)
{
    InetSocketAddress in = InetSocketAddress::ConvertFrom(a);
    um3n_sockaddr sa{};

    um3n_addr_from_v4(&sa.ip, in.GetIpv4().Get());
    sa.port = in.GetPort();
    return sa;
}

// Adds dev to node's IPv4 stack with one /32 address; returns the interface.
uint32_t
AddIf(Ptr<Node> node, Ptr<NetDevice> dev, Ipv4Address addr)
{
    Ptr<Ipv4> ip = node->GetObject<Ipv4>();
    int32_t ifc = ip->AddInterface(dev);

    assert(ifc >= 0);
    ip->AddAddress(ifc, Ipv4InterfaceAddress(addr, Ipv4Mask::GetOnes()));
    ip->SetUp(ifc);
    return (uint32_t)ifc;
}

Ptr<Ipv4StaticRouting>
Routes(Ptr<Node> node)
{
    Ipv4StaticRoutingHelper h;
    return h.GetStaticRouting(node->GetObject<Ipv4>());
}

} // namespace

struct World::Impl
{
    World& w;
    Ptr<Node> ha, mn;
    std::vector<Ptr<Node>> srvs, flowSrv; // per distinct server address; per flow
    std::vector<uint32_t> srvAddr;
    std::vector<uint32_t> mnLinkIf;
    std::vector<Ptr<NetDevice>> mnDev, haDev;
    std::vector<Ipv4Address> gw; // per link: Any, or the radio's access point
    Ptr<VirtualNetDevice> mnTun, haTun;
    std::vector<Ptr<Socket>> mnSock;
    Ptr<Socket> haSock;
    um3n_env mnEnv{}, haEnv{};
    um3n_policy* policy = nullptr;
    um3n_mn* mnE = nullptr;
    um3n_ha* haE = nullptr;
    um3n_addr home{};
    um3n_sockaddr haAddr{};
    std::vector<um3n_sockaddr> coa;
    EventId mnWake, haWake;
    uint64_t mnWakeUs = UINT64_MAX, haWakeUs = UINT64_MAX;
    // --pcap: the inner packets at both TUNs, as um3n-sim writes them
    // (VirtualNetDevice has no pcap helper); null without.
    sim_pcapout* tunPcap = nullptr;
    uint8_t buf[65536];

    explicit Impl(World& world)
        : w(world)
    {
    }

    // ---- the engines' outputs ------------------------------------------

    void ArmMn()
    {
        uint64_t t = um3n_mn_next_wake_us(mnE), now = NowUs();

        if (t == UINT64_MAX || t >= mnWakeUs)
            return; // a later wake is handled when the armed one finds nothing due
        mnWake.Cancel();
        mnWakeUs = t;
        mnWake = Simulator::Schedule(MicroSeconds(t > now ? t - now : 0), &Impl::MnWake, this);
    }

    void ArmHa()
    {
        uint64_t t = um3n_ha_next_wake_us(haE), now = NowUs();

        if (t == UINT64_MAX || t >= haWakeUs)
            return;
        haWake.Cancel();
        haWakeUs = t;
        haWake = Simulator::Schedule(MicroSeconds(t > now ? t - now : 0), &Impl::HaWake, this);
    }

    // Outputs stay valid only until the engine is next fed, and handing a
    // packet to the TUN can feed it again (the TCP stack answers at once):
    // every output is copied into an ns-3 packet first, the TUN packets are
    // handed over once the queue is empty.
    void DrainMn()
    {
        std::vector<std::pair<Ptr<Packet>, int>> up;
        um3n_out out;

        while (um3n_mn_poll_output(mnE, &out)) {
            if (out.kind == UM3N_OUT_UDP && out.link >= 0 && (size_t)out.link < mnSock.size()) {
                Ptr<Packet> p = Create<Packet>(out.data, (uint32_t)out.len);
                InetSocketAddress to(ToNs3(out.to.ip), out.to.port);

                if (mnSock[out.link]->SendTo(p, 0, to) < 0)
                    w.sendFailed++;
            } else if (out.kind == UM3N_OUT_TUN) {
                if (tunPcap)
                    sim_pcapout_mn_tun(tunPcap, NowUs(), out.data, out.len);
                if (UdpDelivered(w, out.link, out.data, out.len) ||
                    PcapDelivered(w, out.link, true, out.data, out.len))
                    continue; // a UDP flow's probe: measured, not handed to the stack
                CountLinkBytes(w, out.link, out.data, out.len);
                up.emplace_back(Create<Packet>(out.data, (uint32_t)out.len), out.link);
            }
        }
        ArmMn();
        for (auto& p : up)
            mnTun->Receive(p.first, 0x0800, mnTun->GetAddress(), mnTun->GetAddress(),
                           NetDevice::PACKET_HOST);
    }

    void DrainHa()
    {
        std::vector<Ptr<Packet>> up;
        um3n_out out;

        while (um3n_ha_poll_output(haE, &out)) {
            if (out.kind == UM3N_OUT_UDP) {
                InetSocketAddress to(ToNs3(out.to.ip), out.to.port);

                if (haSock->SendTo(Create<Packet>(out.data, (uint32_t)out.len), 0, to) < 0)
                    w.haUnroutable++;
            } else if (out.kind == UM3N_OUT_TUN) {
                if (tunPcap)
                    sim_pcapout_ha_tun(tunPcap, NowUs(), out.data, out.len);
                if (PcapDelivered(w, out.link, false, out.data, out.len))
                    continue; // a replayed uplink packet: judged here, no server answers it
                CountLinkBytes(w, out.link, out.data, out.len);
                up.push_back(Create<Packet>(out.data, (uint32_t)out.len));
            }
        }
        ArmHa();
        for (auto& p : up)
            haTun->Receive(p, 0x0800, haTun->GetAddress(), haTun->GetAddress(),
                           NetDevice::PACKET_HOST);
    }

    // ---- the engines' inputs ------------------------------------------

    void MnWake()
    {
        mnWakeUs = UINT64_MAX;
        if (um3n_mn_next_wake_us(mnE) <= NowUs())
            um3n_mn_timeout(mnE, NowUs());
        DrainMn();
    }

    void HaWake()
    {
        haWakeUs = UINT64_MAX;
        if (um3n_ha_next_wake_us(haE) <= NowUs())
            um3n_ha_timeout(haE, NowUs());
        DrainHa();
    }

    uint32_t Copy(Ptr<const Packet> p)
    {
        uint32_t n = p->GetSize();

        assert(n <= sizeof(buf));
        p->CopyData(buf, n);
        return n;
    }

    bool MnTunSend(Ptr<Packet> p, const Address&, const Address&, uint16_t)
    {
        uint32_t n = Copy(p);
        if (tunPcap)
            sim_pcapout_mn_tun(tunPcap, NowUs(), buf, n);

        if (um3n_mn_tun_input(mnE, NowUs(), buf, n))
            w.mnTunErr++;
        DrainMn();
        return true;
    }

    bool HaTunSend(Ptr<Packet> p, const Address&, const Address&, uint16_t)
    {
        uint32_t n = Copy(p);
        if (tunPcap)
            sim_pcapout_ha_tun(tunPcap, NowUs(), buf, n);

        if (um3n_ha_tun_input(haE, NowUs(), buf, n))
            w.haTunErr++;
        DrainHa();
        return true;
    }

    void MnUdpRecv(int link, Ptr<Socket> s)
    {
        Address from;
        Ptr<Packet> p;

        while ((p = s->RecvFrom(from))) {
            um3n_sockaddr sa = FromNs3(from);
            uint32_t n = Copy(p);

            // the engine may point a TUN output into buf: DrainMn copies it before reuse
            if (um3n_mn_udp_input(mnE, NowUs(), link, &sa, buf, n))
                w.mnUdpErr++;
            DrainMn();
        }
    }

    void HaUdpRecv(Ptr<Socket> s)
    {
        Address from;
        Ptr<Packet> p;

        while ((p = s->RecvFrom(from))) {
            um3n_sockaddr sa = FromNs3(from);
            uint32_t n = Copy(p);

            if (um3n_ha_udp_input(haE, NowUs(), &sa, buf, n))
                w.haUdpErr++;
            DrainHa();
        }
    }

    void LinkEvent(int link, enum um3n_link_ev ev, int arg)
    {
        if (!mnE)
            return; // plain runs have no engine
        um3n_mn_link_event(mnE, NowUs(), link, ev, arg);
        DrainMn();
    }

    // ---- building ---------------------------------------------------------

    bool BuildPolicy()
    {
        const sim_scenario* sc = w.sc;

        policy = um3n_policy_new(&mnEnv, sc->n_rules + 1);
        if (!policy)
            return false;
        for (size_t i = 0; i < sc->n_rules; i++) {
            um3n_policy_rule r{};

            r.prefix = sc->rules[i].prefix;
            r.plen = sc->rules[i].plen;
            r.link_class = sc->rules[i].link_class;
            r.mode = sc->rules[i].mode;
            if (um3n_policy_add(policy, &r))
                return false;
        }
        return um3n_policy_set_default(policy, sc->default_class, sc->default_mode) == 0;
    }

    size_t Rank(size_t link) const
    {
        size_t r = 0;

        for (size_t j = 0; j < link; j++)
            r += w.sc->links[j].engine.link_class == w.sc->links[link].engine.link_class;
        return r;
    }

    void BuildLinks()
    {
        const sim_scenario* sc = w.sc;
        const RadioSpec& r = w.opts.radio;
        const LteSpec& lte = w.opts.lte;
        if (r.present || lte.present) // one position for every radio of the MN
            InstallMobility(mn, w.opts.mob);
        for (size_t i = 0; i < sc->n_links; i++) {
            const sim_link_spec& ls = sc->links[i];
            um3n_sockaddr c{};
            LinkDevs d;

            um3n_addr_from_v4(&c.ip, um3n_addr_v4(&ls.coa));
            c.port = (uint16_t)(kMnPortBase + i);
            LinkEventFn ev = [this](int l, um3n_link_ev e, int arg) { LinkEvent(l, e, arg); };
            if (r.present && r.link == ls.name) {
                d = BuildRadioLink(w, i, r, mn, ha, ToNs3(c.ip), Rank(i), DegradedDbm(sc), ev,
                                   &w.radio);
            } else if (lte.present && lte.link == ls.name) {
                Ipv4Address ue;

                d = BuildLteLink(w, i, lte, mn, ha, Rank(i), ev, &w.lte, &ue);
                um3n_addr_from_v4(&c.ip, ue.Get()); // the EPC's, not the [link]'s
            } else {
                d = BuildP2pLink(w, i, mn, ha, ToNs3(c.ip), Rank(i), "mn");
            }
            coa.push_back(c);
            ScheduleOutages(w, i, d, ev);
            mnDev.push_back(d.mn);
            haDev.push_back(d.ha);
            gw.push_back(d.gw);
            mnLinkIf.push_back(d.mnIf);
            // The HA's address on every link: it is one host for the MN.
            uint32_t hif = AddIf(ha, d.ha, Ipv4Address(kHaAddr));
            Routes(ha)->AddHostRouteTo(ToNs3(c.ip), hif);
        }
    }

    // One node per server address, each on its own core link to the HA: ns-3's
    // TCP takes its source address from the route (TcpSocketBase::SetupEndpoint),
    // so servers sharing a node would all send from its first address, and the
    // policy matches downlink packets on their source.
    void BuildCore()
    {
        const sim_scenario* sc = w.sc;
        InternetStackHelper internet;

        for (size_t i = 0; i < sc->n_flows; i++) {
            uint32_t a = um3n_addr_v4(&sc->flows[i].server);
            size_t k = 0;

            while (k < srvAddr.size() && srvAddr[k] != a)
                k++;
            if (k < srvAddr.size()) {
                flowSrv.push_back(srvs[k]);
                continue;
            }
            Ptr<Node> n = CreateObject<Node>();
            PointToPointHelper core;

            internet.Install(n);
            // core_rate_mbps: drop-tail as um3n-sim's (AddIf installs no queue disc)
            core.SetDeviceAttribute("DataRate", sc->core_rate_bps
                                                    ? DataRateValue(DataRate(sc->core_rate_bps))
                                                    : DataRateValue(DataRate("10Gbps")));
            if (sc->core_rate_bps) {
                // Without flow control the device queue itself drops (and
                // counts it): with it, ns-3's traffic control layer would,
                // uncounted per device, when the queue stops.
                core.DisableFlowControl();
                core.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
                              QueueSizeValue(QueueSize(QueueSizeUnit::BYTES,
                                                       sc->core_queue_bytes
                                                           ? sc->core_queue_bytes
                                                           : 1000000000u)));
            }
            core.SetChannelAttribute("Delay", TimeValue(MicroSeconds(sc->core_delay_us)));
            NetDeviceContainer d = core.Install(n, ha);
            w.coreDevs.push_back(d.Get(0)); // server -> HA
            w.coreDevs.push_back(d.Get(1)); // HA -> server
            uint32_t sif = AddIf(n, d.Get(0), Ipv4Address(a));
            Routes(n)->SetDefaultRoute(Ipv4Address(kHaAddr), sif);
            uint32_t hif = AddIf(ha, d.Get(1), Ipv4Address(kHaAddr));
            Routes(ha)->AddHostRouteTo(Ipv4Address(a), hif);
            srvs.push_back(n);
            srvAddr.push_back(a);
            flowSrv.push_back(n);
        }
    }

    Ptr<VirtualNetDevice> AddTun(Ptr<Node> node, const char* addr, uint32_t* ifc)
    {
        Ptr<VirtualNetDevice> t = CreateObject<VirtualNetDevice>();

        t->SetAddress(Mac48Address::Allocate());
        t->SetNeedsArp(false);
        t->SetMtu(1500 - UM3N_OUTER_OVERHEAD_V4); // what the daemons give the TUN
        node->AddDevice(t);
        *ifc = AddIf(node, t, Ipv4Address(addr));
        return t;
    }

    bool BuildEngines()
    {
        const sim_scenario* sc = w.sc;
        um3n_mn_conf mc;
        um3n_ha_conf hc;

        um3n_mn_conf_defaults(&mc);
        mc.home_addr = home;
        mc.ha = haAddr;
        std::memcpy(mc.key, kEngineKey, sizeof(kEngineKey));
        mc.key_len = sizeof(kEngineKey);
        mc.ident_base = kEngineNtpBase;
        mc.n_links = sc->n_links;
        mc.policy = policy;
        for (size_t i = 0; i < sc->n_links; i++) {
            um3n_mn_link_conf* l = &mc.links[i];

            std::snprintf(l->name, sizeof(l->name), "%s", sc->links[i].name);
            l->link_class = sc->links[i].engine.link_class;
            const sim_trace* tr = LinkTrace(w, i, false); // its mean, as um3n-sim
            double bps = tr ? sim_trace_mean_bps(tr) : (double)sc->links[i].rate_bps;
            l->weight_kbps = (uint32_t)(bps / 1000);
            l->local = coa[i];
            um3n_confkeys_copy(UM3N_CONFKEYS_LINK, l, &sc->links[i].engine,
                               sc->links[i].engine_set);
        }
        um3n_confkeys_copy(UM3N_CONFKEYS_MN, &mc, &sc->mn, sc->mn_set);
        mnE = um3n_mn_new(&mc, &mnEnv);
        um3n_ha_conf_defaults(&hc);
        hc.addr = haAddr;
        hc.get_key = HaGetKey;
        hc.key_ctx = &home;
        um3n_confkeys_copy(UM3N_CONFKEYS_HA, &hc, &sc->ha, sc->ha_set);
        haE = um3n_ha_new(&hc, &haEnv);
        return mnE && haE;
    }

    void BuildSockets()
    {
        for (size_t i = 0; i < mnDev.size(); i++) {
            Ptr<Socket> s = Socket::CreateSocket(mn, UdpSocketFactory::GetTypeId());

            // Bound to the device, not the address: ns-3's UDP sends from a
            // socket bound to an address without a route, and the lookup then
            // ignores the device. The route's source is the link's CoA.
            s->Bind(InetSocketAddress(Ipv4Address::GetAny(), coa[i].port));
            s->BindToNetDevice(mnDev[i]);
            s->SetRecvCallback(MakeCallback(&Impl::MnUdpRecv, this).Bind((int)i));
            mnSock.push_back(s);
            // Toward the HA through this link only: the bound device selects it.
            if (gw[i] == Ipv4Address::GetAny()) {
                Routes(mn)->AddHostRouteTo(Ipv4Address(kHaAddr), mnLinkIf[i]);
                Simulator::Schedule(Seconds(0), &Impl::LinkEvent, this, (int)i, UM3N_LINK_EV_UP,
                                    0);
            } else { // radio: via the AP or EPC gateway, up once there (links.cc, lte.cc)
                Routes(mn)->AddHostRouteTo(Ipv4Address(kHaAddr), gw[i], mnLinkIf[i]);
            }
            for (size_t j = 0; j < w.sc->links[i].n_signals; j++) {
                const sim_signal& sg = w.sc->links[i].signals[j];

                Simulator::Schedule(MicroSeconds(sg.t_us), &Impl::LinkEvent, this, (int)i,
                                    UM3N_LINK_EV_SIGNAL, sg.dbm);
            }
        }
        haSock = Socket::CreateSocket(ha, UdpSocketFactory::GetTypeId());
        haSock->Bind(InetSocketAddress(Ipv4Address(kHaAddr), UM3N_PORT_DEFAULT));
        haSock->SetRecvCallback(MakeCallback(&Impl::HaUdpRecv, this));
    }

    // The link the policy sends the flow's server over (plain runs: no tunnel).
    size_t PlainLink(size_t flow)
    {
        const um3n_policy_rule* r = um3n_policy_lookup(policy, &w.sc->flows[flow].server);

        for (size_t i = 0; r && i < w.sc->n_links; i++)
            if (w.sc->links[i].engine.link_class == r->link_class)
                return i;
        return 0;
    }
};

World::World(const sim_scenario* scenario, const Options& o)
    : sc(scenario),
      opts(o),
      flows(scenario->n_flows),
      links(scenario->n_links),
      m(new Impl(*this))
{
}

World::~World()
{
    if (m->tunPcap) {
        sim_pcapout_close(m->tunPcap);
        delete m->tunPcap;
    }
    um3n_mn_free(m->mnE);
    um3n_ha_free(m->haE);
    FreeTraces(*this);
    if (m->policy)
        um3n_policy_free(m->policy);
    delete m;
}

bool
World::Build(std::string& err)
{
    InternetStackHelper internet;

    InitEngineEnv(&m->mnEnv, "mn", opts.logLevel, opts.seed, 1);
    InitEngineEnv(&m->haEnv, "ha", opts.logLevel, opts.seed, 2);
    um3n_addr_parse(kHome, &m->home);
    um3n_addr_parse(kHaAddr, &m->haAddr.ip);
    m->haAddr.port = UM3N_PORT_DEFAULT;
    if (!m->BuildPolicy()) {
        err = std::string(sc->path) + ":0: the policy rules were refused by the engine";
        return false;
    }
    if (!LoadTraces(*this, err))
        return false;
    m->ha = CreateObject<Node>();
    m->mn = CreateObject<Node>();
    internet.Install(NodeContainer(m->ha, m->mn));
    m->BuildLinks();
    m->BuildCore();
    if (opts.plain) {
        // No tunnel: the HA node is a router, each flow runs to the MN's
        // care-of address on the link its policy rule picks.
        for (size_t i = 0; i < sc->n_links; i++) {
            m->mnDev[i]->TraceConnectWithoutContext(
                "MacRx", MakeBoundCallback(&CountMacRx, this, (int)i));
            m->haDev[i]->TraceConnectWithoutContext(
                "MacRx", MakeBoundCallback(&CountMacRx, this, (int)i));
        }
        for (size_t i = 0; i < sc->n_flows; i++) {
            size_t l = m->PlainLink(i);

            Routes(m->mn)->AddHostRouteTo(ToNs3(sc->flows[i].server), m->mnLinkIf[l]);
            InstallTcpFlow(*this, i, m->flowSrv[i], ToNs3(sc->flows[i].server), m->mn,
                           ToNs3(m->coa[l].ip));
        }
        return true;
    }
    uint32_t mnTunIf, haTunIf;
    m->mnTun = m->AddTun(m->mn, kHome, &mnTunIf);
    m->haTun = m->AddTun(m->ha, kHaTunAddr, &haTunIf);
    m->mnTun->SetSendCallback(MakeCallback(&Impl::MnTunSend, m));
    m->haTun->SetSendCallback(MakeCallback(&Impl::HaTunSend, m));
    // The MN's apps reach everything through the TUN; the HA sends the home
    // address's packets into its own.
    Routes(m->mn)->SetDefaultRoute(Ipv4Address(kHaTunAddr), mnTunIf);
    Routes(m->ha)->AddHostRouteTo(ToNs3(m->home), haTunIf);
    if (!m->BuildEngines()) {
        err = std::string(sc->path) + ":0: the " + (m->mnE ? "HA" : "MN") +
              " engine refused its configuration (run with --log 3 to see why)";
        return false;
    }
    m->BuildSockets();
    if (!opts.pcapDir.empty()) {
        char perr[256];

        m->tunPcap = new sim_pcapout;
        if (sim_pcapout_open(m->tunPcap, opts.pcapDir.c_str(), nullptr, 0, perr, sizeof(perr))) {
            delete m->tunPcap;
            m->tunPcap = nullptr;
            err = std::string(sc->path) + ":0: --pcap: " + perr;
            return false;
        }
    }
    for (size_t i = 0; i < sc->n_flows; i++)
        if (sc->flows[i].type == SIM_FLOW_TCP)
            InstallTcpFlow(*this, i, m->flowSrv[i], ToNs3(sc->flows[i].server), m->mn,
                           ToNs3(m->home));
    return InstallUdpFlows(*this, m->flowSrv, m->mn, err);
}

void
World::Run()
{
    Simulator::Stop(MicroSeconds(sc->duration_us));
    Simulator::Run();
    events = Simulator::GetEventCount();
    if (m->mnE) {
        um3n_mn_status(m->mnE, NowUs(), &mnStatus);
        um3n_ha_status(m->haE, NowUs(), &haStatus);
        um3n_ha_mn_status(m->haE, NowUs(), 0, &haMn); // the one MN
    }
}

} // namespace um3n
