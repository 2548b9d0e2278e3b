// um3n-ns3: the paper's two radio uplinks (3G "cell" and "wifi") as ns-3
// point-to-point links, reached from Linux network namespaces through
// TapBridge (ConfigureLocal), in real time.
//
//   MN namespace                     ns-3 (this program)                    HA namespace
//   tap-cell 10.1.1.2 ==[ghost]--- cell p2p (3.61 Mbit/s, 50 ms, loss) ---+
//                                                                          [router]--- core p2p ---[ghost]== tap-ha 10.3.0.2
//   tap-wifi 10.1.2.2 ==[ghost]--- wifi p2p (14.67 Mbit/s, 5 ms, loss) ---+      10.3.0.1
//
// The taps are created in the namespace this program runs in; the caller
// (emu/ns3/testbed.py) moves them into the MN and HA namespaces. A tap must
// never be set down while ns-3 holds it (ns-3 aborts): outages are an error
// rate of 1.0 on both ends of a link, scheduled with --events or sent at run
// time through the control FIFO (--ctl), one command a line (--events takes
// the same commands with a time: 5:wifi:loss:1.0,8:wifi:loss:0):
//   LINK rate 5Mbps | LINK delay 50ms | LINK loss 0.01 | quit
// with LINK = cell | wifi. Every applied change is printed as "ctl: ...".
// On exit, per-link counters go to --stats (JSON) for the comparison with
// um3n-sim.
//
// Each radio link's downlink (the router's side) has ns-3's FqCoDel in front
// of its device queue (--qdisc fq_codel, the default): Ipv4AddressHelper
// installs it on every device of a node with an internet stack, and until
// stop 30 nobody here knew, so every testbed figure before was measured with
// it. --qdisc none leaves the device's drop-tail queue (--queue) alone. The
// uplinks never pass a queue disc: TapBridge sends on the device directly.
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/tap-bridge-module.h"
#include "ns3/traffic-control-module.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace ns3;

namespace
{

// One emulated radio link: both of its devices, its channel, the error
// models that give it loss, and counters per direction ("up" = MN -> router).
struct RadioLink
{
    std::string name;
    Ptr<PointToPointNetDevice> mnSide;
    Ptr<PointToPointNetDevice> routerSide;
    Ptr<PointToPointChannel> channel;
    Ptr<RateErrorModel> upLoss;   // on the router side's receiver
    Ptr<RateErrorModel> downLoss; // on the MN side's receiver
    std::string rate;
    std::string delay;
    double loss = 0;
    uint64_t upTxPkts = 0, upTxBytes = 0, upRxPkts = 0, upRxBytes = 0, upDrops = 0;
    uint64_t downTxPkts = 0, downTxBytes = 0, downRxPkts = 0, downRxBytes = 0, downDrops = 0;
    uint64_t queueDrops = 0;
    uint64_t qdiscDrops = 0; // the downlink's queue disc (CoDel's, or its limit)
};

std::map<std::string, RadioLink> g_links;
int g_ctlFd = -1;
std::string g_ctlPath;
std::string g_qdisc = "fq_codel"; // --qdisc
std::string g_ctlBuf;
const Time kCtlPoll = MilliSeconds(10);

Ptr<RateErrorModel>
MakeLoss(double rate)
{
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
    em->SetRate(rate);
    return em;
}

void
Say(const std::string& what)
{
    std::printf("ctl: t=%.3f %s\n", Simulator::Now().GetSeconds(), what.c_str());
    std::fflush(stdout);
}

// Applies one "LINK PARAM VALUE" command; returns false when it is not one.
bool
Apply(const std::string& line)
{
    std::istringstream in(line);
    std::string link, param, value;
    in >> link >> param >> value;
    if (link == "quit")
    {
        Say("quit");
        Simulator::Stop();
        return true;
    }
    auto it = g_links.find(link);
    if (it == g_links.end() || value.empty())
        return false;
    RadioLink& l = it->second;
    if (param == "rate")
    {
        DataRate r(value); // aborts on garbage: commands come from our own scripts
        l.mnSide->SetDataRate(r);
        l.routerSide->SetDataRate(r);
        l.rate = value;
    }
    else if (param == "delay")
    {
        // The channel reads Delay at every transmission: new packets see it.
        l.channel->SetAttribute("Delay", TimeValue(Time(value)));
        l.delay = value;
    }
    else if (param == "loss")
    {
        double p = std::stod(value);
        if (p < 0 || p > 1)
            return false;
        l.upLoss->SetRate(p);
        l.downLoss->SetRate(p);
        l.loss = p;
    }
    else
        return false;
    Say(link + " " + param + " " + value);
    return true;
}

// Polled from the simulator thread, so no locking: the FIFO is non-blocking
// and a writer that comes and goes just shows up as EOF, then data again.
void
PollCtl()
{
    char buf[512];
    ssize_t n;
    while ((n = read(g_ctlFd, buf, sizeof buf)) > 0)
        g_ctlBuf.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = g_ctlBuf.find('\n')) != std::string::npos)
    {
        std::string line = g_ctlBuf.substr(0, nl);
        g_ctlBuf.erase(0, nl + 1);
        if (!line.empty() && !Apply(line))
            Say("error: bad command '" + line + "'");
    }
    Simulator::Schedule(kCtlPoll, &PollCtl);
}

// "--events=T:LINK:PARAM:VALUE,T:LINK:PARAM:VALUE,..." (CommandLine values
// stop at white space, hence ':' and ','; ';' and spaces work too when quoted).
void
ScheduleEvents(std::string spec)
{
    for (char& c : spec)
    {
        if (c == ':')
            c = ' ';
        else if (c == ';')
            c = ',';
    }
    std::istringstream all(spec);
    std::string item;
    while (std::getline(all, item, ','))
    {
        std::istringstream one(item);
        double t;
        if (!(one >> t))
            continue;
        std::string rest;
        std::getline(one, rest);
        Simulator::Schedule(Seconds(t), [rest]() {
            if (!Apply(rest))
                Say("error: bad event '" + rest + "'");
        });
    }
}

void
CountTx(uint64_t* pkts, uint64_t* bytes, Ptr<const Packet> p)
{
    ++*pkts;
    *bytes += p->GetSize();
}

void
CountDrop(uint64_t* drops, Ptr<const Packet>)
{
    ++*drops;
}

void
CountQdiscDrop(uint64_t* drops, Ptr<const QueueDiscItem>)
{
    ++*drops;
}

// The downlink's queue disc as --qdisc says: removed ("none"), or the
// FqCoDel Ipv4AddressHelper installed kept, its drops counted.
void
SetQdisc(RadioLink& l)
{
    if (g_qdisc == "none")
    {
        TrafficControlHelper().Uninstall(l.routerSide);
        return;
    }
    Ptr<TrafficControlLayer> tc = l.routerSide->GetNode()->GetObject<TrafficControlLayer>();
    Ptr<QueueDisc> q = tc->GetRootQueueDiscOnDevice(l.routerSide);
    NS_ABORT_MSG_UNLESS(DynamicCast<FqCoDelQueueDisc>(q), "the router's downlink has no FqCoDel");
    q->TraceConnectWithoutContext("Drop", MakeBoundCallback(&CountQdiscDrop, &l.qdiscDrops));
}

void
Hook(RadioLink& l)
{
    l.mnSide->TraceConnectWithoutContext("PhyTxEnd", MakeBoundCallback(&CountTx, &l.upTxPkts, &l.upTxBytes));
    l.routerSide->TraceConnectWithoutContext("MacRx", MakeBoundCallback(&CountTx, &l.upRxPkts, &l.upRxBytes));
    l.routerSide->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&CountDrop, &l.upDrops));
    l.routerSide->TraceConnectWithoutContext("PhyTxEnd", MakeBoundCallback(&CountTx, &l.downTxPkts, &l.downTxBytes));
    l.mnSide->TraceConnectWithoutContext("MacPromiscRx", MakeBoundCallback(&CountTx, &l.downRxPkts, &l.downRxBytes));
    l.mnSide->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&CountDrop, &l.downDrops));
    l.mnSide->GetQueue()->TraceConnectWithoutContext("Drop", MakeBoundCallback(&CountDrop, &l.queueDrops));
    l.routerSide->GetQueue()->TraceConnectWithoutContext("Drop", MakeBoundCallback(&CountDrop, &l.queueDrops));
}

void
WriteStats(const std::string& path, double wall_s)
{
    std::ofstream out(path);
    out << "{\"sim_time_s\": " << Simulator::Now().GetSeconds() << ", \"wall_s\": " << wall_s
        << ", \"links\": {";
    bool first = true;
    for (auto& [name, l] : g_links)
    {
        out << (first ? "" : ", ") << "\"" << name << "\": {\"rate\": \"" << l.rate << "\", \"delay\": \""
            << l.delay << "\", \"loss\": " << l.loss << ", \"up\": {\"tx_pkts\": " << l.upTxPkts
            << ", \"tx_bytes\": " << l.upTxBytes << ", \"rx_pkts\": " << l.upRxPkts << ", \"rx_bytes\": "
            << l.upRxBytes << ", \"err_drops\": " << l.upDrops << "}, \"down\": {\"tx_pkts\": "
            << l.downTxPkts << ", \"tx_bytes\": " << l.downTxBytes << ", \"rx_pkts\": " << l.downRxPkts
            << ", \"rx_bytes\": " << l.downRxBytes << ", \"err_drops\": " << l.downDrops
            << "}, \"queue_drops\": " << l.queueDrops << ", \"qdisc\": \"" << g_qdisc
            << "\", \"qdisc_drops\": " << l.qdiscDrops << "}";
        first = false;
    }
    out << "}}\n";
}

RadioLink&
AddRadio(const std::string& name,
         Ptr<Node> ghost,
         Ptr<Node> router,
         const std::string& rate,
         const std::string& delay,
         double loss,
         const std::string& queue,
         const std::string& subnet)
{
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(rate));
    p2p.SetChannelAttribute("Delay", StringValue(delay));
    p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue(queue));
    NetDeviceContainer devs = p2p.Install(ghost, router);
    Ipv4AddressHelper addr;
    addr.SetBase(subnet.c_str(), "255.255.255.0", "0.0.0.2");
    addr.Assign(NetDeviceContainer(devs.Get(0)));            // ghost: .2 (the Linux tap)
    addr.SetBase(subnet.c_str(), "255.255.255.0", "0.0.0.1"); // router: .1
    addr.Assign(NetDeviceContainer(devs.Get(1)));

    RadioLink& l = g_links[name];
    l.name = name;
    l.mnSide = DynamicCast<PointToPointNetDevice>(devs.Get(0));
    l.routerSide = DynamicCast<PointToPointNetDevice>(devs.Get(1));
    l.channel = DynamicCast<PointToPointChannel>(l.mnSide->GetChannel());
    l.downLoss = MakeLoss(loss);
    l.upLoss = MakeLoss(loss);
    l.mnSide->SetReceiveErrorModel(l.downLoss);
    l.routerSide->SetReceiveErrorModel(l.upLoss);
    l.rate = rate;
    l.delay = delay;
    l.loss = loss;
    Hook(l);
    return l;
}

} // namespace

int
main(int argc, char* argv[])
{
    std::string cellRate = "3.61Mbps", cellDelay = "50ms";
    std::string wifiRate = "14.67Mbps", wifiDelay = "5ms";
    double cellLoss = 0.001, wifiLoss = 0.0;
    std::string coreRate = "1Gbps", coreDelay = "1ms";
    std::string queue = "50p";
    std::string tapCell = "tap-cell", tapWifi = "tap-wifi", tapHa = "tap-ha";
    std::string events, stats;
    double duration = 3600;

    CommandLine cmd(__FILE__);
    cmd.AddValue("cellRate", "cell link rate, both ways", cellRate);
    cmd.AddValue("cellDelay", "cell one-way delay", cellDelay);
    cmd.AddValue("cellLoss", "cell packet loss probability, each way", cellLoss);
    cmd.AddValue("wifiRate", "wifi link rate, both ways", wifiRate);
    cmd.AddValue("wifiDelay", "wifi one-way delay", wifiDelay);
    cmd.AddValue("wifiLoss", "wifi packet loss probability, each way", wifiLoss);
    cmd.AddValue("coreRate", "router <-> HA link rate", coreRate);
    cmd.AddValue("coreDelay", "router <-> HA one-way delay", coreDelay);
    cmd.AddValue("queue", "device queue size of the radio links (e.g. 50p)", queue);
    cmd.AddValue("qdisc", "queue disc before the radio downlinks: fq_codel or none", g_qdisc);
    cmd.AddValue("tapCell", "tap name for the MN's cell uplink", tapCell);
    cmd.AddValue("tapWifi", "tap name for the MN's wifi uplink", tapWifi);
    cmd.AddValue("tapHa", "tap name for the HA's downlink", tapHa);
    cmd.AddValue("events", "scheduled changes 'T:LINK:PARAM:VALUE,...' (e.g. 5:wifi:loss:1.0)", events);
    cmd.AddValue("ctl", "control FIFO path (commands at run time)", g_ctlPath);
    cmd.AddValue("stats", "write per-link counters as JSON here on exit", stats);
    cmd.AddValue("duration", "stop after this many seconds", duration);
    cmd.Parse(argc, argv);
    if (g_qdisc != "fq_codel" && g_qdisc != "none")
    {
        std::fprintf(stderr, "um3n-ns3: --qdisc: expected fq_codel or none\n");
        return 2;
    }

    GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::RealtimeSimulatorImpl"));
    // The router rewrites TTL: without real checksums Linux drops its packets.
    GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));

    Ptr<Node> ghostCell = CreateObject<Node>();
    Ptr<Node> ghostWifi = CreateObject<Node>();
    Ptr<Node> router = CreateObject<Node>();
    Ptr<Node> ghostHa = CreateObject<Node>();
    InternetStackHelper stack;
    stack.Install(NodeContainer(ghostCell, ghostWifi, router, ghostHa));

    AddRadio("cell", ghostCell, router, cellRate, cellDelay, cellLoss, queue, "10.1.1.0");
    AddRadio("wifi", ghostWifi, router, wifiRate, wifiDelay, wifiLoss, queue, "10.1.2.0");
    for (auto& kv : g_links)
        SetQdisc(kv.second);

    PointToPointHelper core;
    core.SetDeviceAttribute("DataRate", StringValue(coreRate));
    core.SetChannelAttribute("Delay", StringValue(coreDelay));
    NetDeviceContainer coreDevs = core.Install(ghostHa, router);
    Ipv4AddressHelper addr;
    addr.SetBase("10.3.0.0", "255.255.255.0", "0.0.0.2");
    addr.Assign(NetDeviceContainer(coreDevs.Get(0)));
    addr.SetBase("10.3.0.0", "255.255.255.0", "0.0.0.1");
    Ipv4InterfaceContainer routerCore = addr.Assign(NetDeviceContainer(coreDevs.Get(1)));

    // Servers (10.9.0.0/16) sit behind the HA: needed by the plain-routing
    // and MPTCP baselines, which do not use the tunnel.
    Ipv4StaticRoutingHelper srh;
    Ptr<Ipv4StaticRouting> rt = srh.GetStaticRouting(router->GetObject<Ipv4>());
    uint32_t coreIf = router->GetObject<Ipv4>()->GetInterfaceForDevice(coreDevs.Get(1));
    rt->AddNetworkRouteTo(Ipv4Address("10.9.0.0"), Ipv4Mask("255.255.0.0"), Ipv4Address("10.3.0.2"), coreIf);

    TapBridgeHelper tap;
    tap.SetAttribute("Mode", StringValue("ConfigureLocal"));
    tap.SetAttribute("DeviceName", StringValue(tapCell));
    tap.Install(ghostCell, g_links["cell"].mnSide);
    tap.SetAttribute("DeviceName", StringValue(tapWifi));
    tap.Install(ghostWifi, g_links["wifi"].mnSide);
    tap.SetAttribute("DeviceName", StringValue(tapHa));
    tap.Install(ghostHa, coreDevs.Get(0));

    if (!g_ctlPath.empty())
    {
        g_ctlFd = open(g_ctlPath.c_str(), O_RDONLY | O_NONBLOCK);
        if (g_ctlFd < 0)
        {
            std::perror(g_ctlPath.c_str());
            return 1;
        }
        Simulator::Schedule(kCtlPoll, &PollCtl);
    }
    if (!events.empty())
        ScheduleEvents(events);

    std::printf("um3n-ns3: cell %s/%s loss %g, wifi %s/%s loss %g, queue %s, qdisc %s; running\n",
                cellRate.c_str(), cellDelay.c_str(), cellLoss, wifiRate.c_str(), wifiDelay.c_str(),
                wifiLoss, queue.c_str(), g_qdisc.c_str());
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    Simulator::Stop(Seconds(duration));
    Simulator::Run();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!stats.empty())
        WriteStats(stats, wall);
    Simulator::Destroy();
    std::printf("um3n-ns3: stopped\n");
    return 0;
}
