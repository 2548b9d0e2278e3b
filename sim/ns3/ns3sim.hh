// um3n-ns3sim: the sans-IO MN and HA engines inside ns-3's simulated time.
//
//   servers (10.9.x.x) --core p2p-- HA node ====link p2p (per [link])==== MN node
//                                   |  vdev "TUN" 10.200.0.1               |  vdev "TUN" 10.200.0.2
//                                   |  UDP 192.0.2.1:434                   |  UDP CoA_i:49200+i per link
//                                   \==link p2p== AP node ~~802.11g~~ MN   ([radio NAME]: links.cc)
//
// The HA node forwards the servers' packets for the home address into its
// VirtualNetDevice, whose send callback feeds um3n_ha_tun_input(); the HA
// engine's UDP outputs leave through one socket bound to 192.0.2.1:434. On
// the MN, each uplink has its own UDP socket bound to its NetDevice, and the
// engine's TUN outputs are handed to the MN's VirtualNetDevice, where ns-3's
// TCP receives them. Engine time is Simulator::Now(); each engine's next
// wake-up is one ns-3 event. Nothing here reads the wall clock (main.cc does,
// for --bench only, around Simulator::Run()).
#ifndef UM3N_NS3SIM_H
#define UM3N_NS3SIM_H

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/virtual-net-device-module.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "ha.h"
#include "metrics.h"
#include "mn.h"
#include "policy.h"
#include "scenario.h"
#include "schedule.h"
#include "trace.h"
}

#include "radiospec.hh"

namespace um3n
{

// Per TCP flow: what the sender and the receiver saw.
struct FlowStats
{
    uint64_t rxBytes = 0;          // in order, delivered to the receiving app
    uint64_t txSegments = 0;       // data segments sent (first copies and retransmissions)
    uint64_t retransmissions = 0;  // data segments below the highest sequence already sent
    uint64_t spurious = 0;         // ... whose first copy had reached the receiver (tcpflow.cc)
    uint64_t highTx = 0;           // highest sequence end sent (relative to the ISN)
    bool txSeen = false;
    uint32_t isn = 0;
    int64_t lastRxUs = -1;         // last delivery of new in-order data
    int64_t longestStallUs = 0;    // longest time without new in-order data
    int64_t hoStallUs = 0;         // ... of it inside the handover window
    int64_t doneUs = -1;           // all `bytes` delivered (bytes-limited flows)
    std::vector<uint64_t> secBytes; // delivered per simulated second
    std::vector<uint32_t> secCwnd;  // the sender's cwnd (bytes) at the end of each second
};

// Adds bytes to simulated second nowUs / 1 s of a per-second series (timeseries.csv).
inline void
AddPerSecond(std::vector<uint64_t>& v, uint64_t nowUs, uint64_t bytes)
{
    size_t sec = (size_t)(nowUs / 1000000);

    if (v.size() <= sec)
        v.resize(sec + 1);
    v[sec] += bytes;
}

// A time in µs as metrics.json writes it, in ms or s; -1 for "not yet" (< 0).
inline double
Ms(int64_t us)
{
    return us < 0 ? -1.0 : us / 1e3;
}

inline double
Sec(int64_t us)
{
    return us < 0 ? -1.0 : us / 1e6;
}

// Per scenario link: inner bytes of flow data delivered over it, in the window.
struct LinkStats
{
    uint64_t bytes = 0;
    std::vector<uint64_t> secBytes;
};

const uint32_t kHaAddrV4 = 0xc0000201u; // 192.0.2.1: the HA, on every link

// What the radio did (metrics.json "radio"): first association, first
// report below signal_degraded_dbm, first loss of association (µs, -1 never).
struct RadioFigures
{
    int64_t assocUs = -1, crossingUs = -1, deassocUs = -1;
    int64_t movedUs = -1; // first UDP-flow packet over another link after the crossing
    uint64_t assocs = 0, deassocs = 0, signalEvents = 0;
};

// What the LTE cell did (metrics.json "lte"): the UE's NAS reaching ACTIVE
// (data can flow) and leaving it, radio link failures, and the RSRP and
// SINR of its PHY's reports (every millisecond, unsmoothed).
struct LteFigures
{
    int64_t activeUs = -1;
    uint64_t actives = 0, inactives = 0, linkFailures = 0, reports = 0;
    uint64_t unheard = 0; // PHY reports below -140 dBm (no cell heard), left out of the rest
    double rsrpMin = 0, rsrpMax = 0, rsrpSum = 0, sinrMin = 0, sinrSum = 0;
    // X2 handovers between the eNBs: each one's start, end (-1: failed or
    // unfinished) and cells, in order.
    struct Handover
    {
        int64_t startUs, endUs;
        uint16_t from, to;
    };
    std::vector<Handover> handovers;
    uint64_t handoverFailures = 0;
};

// The world: nodes, links, the two engine adaptors and the TCP flows.
class World
{
  public:
    World(const sim_scenario* sc, const Options& opts);
    ~World();
    // Builds everything; false with err set ("FILE:LINE: ...") when the engines refuse.
    bool Build(std::string& err);
    void Run();

    const sim_scenario* sc;
    Options opts;
    std::vector<FlowStats> flows;
    std::vector<LinkStats> links;
    uint64_t events = 0;
    uint64_t mnTunErr = 0, mnUdpErr = 0, haTunErr = 0, haUdpErr = 0, haUnroutable = 0;
    uint64_t sendFailed = 0;
    struct um3n_mn_status mnStatus{};
    struct um3n_ha_status haStatus{};
    struct um3n_ha_mn_status haMn{}; // its pacer (pace_pct) feeds the downlink
    RadioFigures radio;
    LteFigures lte;
    std::vector<sim_trace> downTrace, upTrace; // per link; period_us 0: none (ratetrace.cc)
    // The core links' devices, server side then HA side, per server node.
    std::vector<ns3::Ptr<ns3::NetDevice>> coreDevs;
    sim_metrics* udp = nullptr; // the open-loop (UDP) flows, as um3n-sim measures them
    bool anyUdp = false;

  private:
    struct Impl;
    Impl* m;
};

// engineenv.cc: an engine's environment (name in its log lines; salt 1 for
// the MN, 2 for the HA), um3n-sim's fixed MN-HA key and identification
// base, and the HA's key lookup (ctx: the MN's home address).
extern const uint8_t kEngineKey[32];
extern const uint64_t kEngineNtpBase;
void InitEngineEnv(um3n_env* env, const char* name, int logLevel, uint64_t seed, uint64_t salt);
int HaGetKey(void* ctx, uint32_t home, uint32_t spi, uint8_t* key, size_t* keyLen);

// tcpflow.cc: the sender and receiver of flow i (direction down: the server
// sends), started at its start_s, stopped at its stop_s.
void InstallTcpFlow(World& w,
                    size_t i,
                    ns3::Ptr<ns3::Node> server,
                    ns3::Ipv4Address serverAddr,
                    ns3::Ptr<ns3::Node> mn,
                    ns3::Ipv4Address mnAddr);
// Drops every flow's sockets: before Simulator::Destroy(), after a run.
void ClearTcpFlows();
// Called by the world on each inner packet it delivers over link `link`:
// counts it for the link's goodput when it carries TCP payload of a flow.
void CountLinkBytes(World& w, int link, const uint8_t* pkt, size_t len);
// The same for a packet a link device received (plain runs: ns-3's MacRx trace).
void CountMacRx(World* w, int link, ns3::Ptr<const ns3::Packet> p);

// links.cc: a link's devices on the MN and HA sides, the MN's interface
// and, for a radio link, its gateway (the AP).
struct LinkDevs
{
    ns3::Ptr<ns3::NetDevice> mn, ha;
    ns3::Ptr<ns3::NetDevice> ap; // a radio link: the access point's wifi device
    std::vector<ns3::Ptr<ns3::NetDevice>> enbs; // an LTE link: its eNBs' devices
    uint32_t mnIf = 0;
    ns3::Ipv4Address gw = ns3::Ipv4Address::GetAny();
};
using LinkEventFn = std::function<void(int link, enum um3n_link_ev ev, int arg)>;
// side: the far end's name in the pcap file (link-NAME-SIDE.pcap).
LinkDevs BuildP2pLink(World& w,
                      size_t i,
                      ns3::Ptr<ns3::Node> mn,
                      ns3::Ptr<ns3::Node> ha,
                      ns3::Ipv4Address coa,
                      size_t rank,
                      const char* side);
LinkDevs BuildRadioLink(World& w,
                        size_t i,
                        const RadioSpec& r,
                        ns3::Ptr<ns3::Node> mn,
                        ns3::Ptr<ns3::Node> ha,
                        ns3::Ipv4Address coa,
                        size_t rank,
                        int degradedDbm,
                        LinkEventFn ev,
                        RadioFigures* fig);
void ClearRadios();
// The MN's mobility model (before any radio link is built).
void InstallMobility(ns3::Ptr<ns3::Node> mn, const MobilitySpec& m);
// The RSSI (dBm) the path-loss model gives on the walk at t seconds, and the
// first instant (10 ms grid) it is below dbm, -1 if never within durationUs.
// The engine's signal_degraded_dbm for this scenario (its [mn] or the default).
int DegradedDbm(const sim_scenario* sc);
double RadioRssiAt(const RadioSpec& r, const MobilitySpec& m, double t);
int64_t RadioCrossingUs(const RadioSpec& r, const MobilitySpec& m, int dbm, uint64_t durationUs);

// lte.cc: link i as an LTE cell (LENA with its EPC): the MN a UE, the EPC's
// packet gateway wired to the HA with the [link]'s point-to-point
// parameters. The UE's address (from the EPC) becomes the link's CoA in coa.
// UP when the UE's NAS is ACTIVE, DOWN when it leaves that state.
LinkDevs BuildLteLink(World& w,
                      size_t i,
                      const LteSpec& s,
                      ns3::Ptr<ns3::Node> mn,
                      ns3::Ptr<ns3::Node> ha,
                      size_t rank,
                      LinkEventFn ev,
                      LteFigures* fig,
                      ns3::Ipv4Address* coa);
void ClearLte();
// metrics.json's "lte" object (after a comma), and the summary's part.
void WriteLteJson(FILE* f, const LteSpec& s, const LteFigures& l);
std::string LteSummary(const LteFigures& l);

// ratetrace.cc: the links' trace and up_trace files, loaded into w.downTrace
// and w.upTrace (false with err = um3n-sim's message on a bad file), the
// trace of link i's direction (null: a constant rate), and a player that
// gives each packet the device sends the transmission time the trace gives.
bool LoadTraces(World& w, std::string& err);
void FreeTraces(World& w);
const sim_trace* LinkTrace(const World& w, size_t i, bool up);
void PlayTrace(ns3::Ptr<ns3::PointToPointNetDevice> dev, const sim_trace* tr);
void ClearTracePlayers();

// outages.cc: link i's outage schedule (its outage, outages_file, flap and
// onoff keys) played on its devices d; ev tells the engine of carrier ones.
void ScheduleOutages(World& w, size_t i, const LinkDevs& d, LinkEventFn ev);
void ClearOutages(); // after a run, as ClearRadios

// udpflow.cc: the open-loop generators of um3n-sim (video, cbr, bulk) over
// UDP between the server nodes and the MN's home address, measured by
// sim/metrics.c (loss, one-way delay, late frames, handover figures).
bool InstallUdpFlows(World& w,
                     const std::vector<ns3::Ptr<ns3::Node>>& servers,
                     ns3::Ptr<ns3::Node> mn,
                     std::string& err);
// An inner packet the MN engine delivered over link at now: true when it was
// a probe of a UDP flow (counted), which the caller then drops.
bool UdpDelivered(World& w, int link, const uint8_t* pkt, size_t len);
// A replayed capture's packet an engine hands to its TUN (atMn: the MN's,
// else the HA's): true when it was one (judged), which the caller then drops.
bool PcapDelivered(World& w, int link, bool atMn, const uint8_t* pkt, size_t len);
void ClearUdpFlows(World& w); // also frees w.udp

} // namespace um3n

#endif
