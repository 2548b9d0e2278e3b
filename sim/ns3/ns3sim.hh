// um3n-ns3sim: the sans-IO MN and HA engines inside ns-3's simulated time.
//
//   servers (10.9.x.x) --core p2p-- HA node ====link p2p (per [link])==== MN node
//                                   |  vdev "TUN" 10.200.0.1               |  vdev "TUN" 10.200.0.2
//                                   |  UDP 192.0.2.1:434                   |  UDP CoA_i:49200+i per link
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
#include <string>
#include <vector>

extern "C" {
#include "ha.h"
#include "mn.h"
#include "policy.h"
#include "scenario.h"
}

namespace um3n
{

// Per TCP flow: what the sender and the receiver saw.
struct FlowStats
{
    uint64_t rxBytes = 0;          // in order, delivered to the receiving app
    uint64_t txSegments = 0;       // data segments sent (first copies and retransmissions)
    uint64_t retransmissions = 0;  // data segments below the highest sequence already sent
    uint64_t highTx = 0;           // highest sequence end sent (relative to the ISN)
    bool txSeen = false;
    uint32_t isn = 0;
    int64_t lastRxUs = -1;         // last delivery of new in-order data
    int64_t longestStallUs = 0;    // longest time without new in-order data
    int64_t doneUs = -1;           // all `bytes` delivered (bytes-limited flows)
    std::vector<uint64_t> secBytes; // delivered per simulated second
    std::vector<uint32_t> secCwnd;  // the sender's cwnd (bytes) at the end of each second
};

// Per scenario link: inner bytes of flow data delivered over it, in the window.
struct LinkStats
{
    uint64_t bytes = 0;
    std::vector<uint64_t> secBytes;
};

struct Options
{
    uint64_t seed = 1;
    bool plain = false; // no tunnel: each flow on the link the policy picks (the --bench baseline)
    int logLevel = -1;
    std::string pcapDir; // non-empty: link-NAME-{mn,ha}.pcap of every link device here
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

  private:
    struct Impl;
    Impl* m;
};

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

} // namespace um3n

#endif
