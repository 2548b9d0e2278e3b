// Open-loop flows of um3n-ns3sim ([flow] type = video, cbr, bulk or pcap):
// the generators of um3n-sim (sim/traffic.c) give each packet's time, size
// and probe header (flow, sequence, frame, send time); the UDP payload leaves
// an ns-3 UDP socket (the server node's for direction = down, the MN home
// address's for up) and sim/metrics.c judges what arrives, exactly as in
// um3n-sim: loss, one-way delay, late video frames, the handover figures
// (sim/hometric.c). The downlink is measured where the MN engine hands the
// packet to its TUN (so the carrying link is known); the uplink at the
// server's socket (link unknown). A replayed capture's packets are whole IPv4
// packets of any protocol (their sequence in the IPv4 ID, as in um3n-sim):
// they leave a raw socket with the header included and are judged, and
// consumed, where an engine hands them to its TUN (the HA's for the uplink),
// so no stack answers them.
#include "ns3sim.hh"

extern "C" {
#include "traffic.h"
}

#include <cassert>
#include <cstdlib>
#include <memory>

using namespace ns3;

namespace um3n
{
namespace
{

struct UdpFlow
{
    World* w;
    size_t i;
    sim_gen gen;
    Ptr<Socket> tx, rx;
    Address to;
    uint32_t lastSeq = 0; // pcap: the highest sequence received (sim_gen_seq_from_id)
    bool anyRx = false;
};

std::vector<std::unique_ptr<UdpFlow>> gFlows;

uint64_t
NowUs()
{
    return (uint64_t)Simulator::Now().GetMicroSeconds();
}

int
Emit(void* ctx, size_t flow, uint64_t now, const sim_gen_pkt* p)
{
    UdpFlow* f = static_cast<UdpFlow*>(ctx);
    const uint32_t hdrs = SIM_IP4_HDR + SIM_UDP_HDR;

    assert(flow == f->i && p->len > hdrs);
    int rc = sim_metrics_sent(f->w->udp, flow, p->seq, now, p->len, p->up, p->frame_id,
                              p->frame_pkts);
    if (rc)
        return rc;
    bool raw = f->w->sc->flows[flow].type == SIM_FLOW_PCAP; // the whole packet
    uint32_t skip = raw ? 0 : hdrs;
    // A two-way capture (pcap_server) sends each packet from its own end.
    Ptr<Socket> tx = raw && p->up ? f->rx : f->tx;
    Address to =
        raw ? Address(InetSocketAddress(Ipv4Address(um3n_get32(p->data + 16)), 0)) : f->to;
    if (tx->SendTo(Create<Packet>(p->data + skip, p->len - skip), 0, to) < 0)
        f->w->sendFailed++;
    return 0;
}

void
Tick(UdpFlow* f)
{
    uint64_t now = NowUs();

    if (sim_gen_run(&f->gen, now, Emit, f))
        f->w->sendFailed++; // out of memory in the metrics' tables: counted, not fatal
    uint64_t next = sim_gen_next_us(&f->gen);
    if (next != UINT64_MAX)
        Simulator::Schedule(MicroSeconds(next > now ? next - now : 0), &Tick, f);
}

// What arrived of flow `flow`, to metrics.c and to the per-second and
// per-link goodput of timeseries.csv and metrics.json.
void
Judge(World& w,
      size_t flow,
      int link,
      bool up,
      uint32_t seq,
      uint64_t sendUs,
      uint32_t ipBytes,
      uint32_t frame)
{
    uint64_t now = NowUs(), before = w.udp->flows[flow].recv_pkts;
    sim_metrics_received(w.udp, flow, link, up, now, seq, sendUs, ipBytes, frame);
    if (w.udp->flows[flow].recv_pkts == before)
        return; // a duplicate (or a packet already judged): counted by metrics.c only
    AddPerSecond(w.flows[flow].secBytes, now, ipBytes); // timeseries.csv
    if (link >= 0 && (size_t)link < w.links.size() && now >= w.sc->measure_from_us) {
        w.links[(size_t)link].bytes += ipBytes;
        AddPerSecond(w.links[(size_t)link].secBytes, now, ipBytes);
    }
}

// A probe's send time and sequence, with the receiver's view: the bytes of
// the whole inner IPv4 packet (what um3n-sim counts).
void
Received(World& w, int link, bool up, const uint8_t* payload, size_t n, uint32_t ipBytes)
{
    sim_probe pr;

    if (!sim_probe_read(payload, n, &pr) || pr.flow_id >= w.sc->n_flows ||
        w.sc->flows[pr.flow_id].type == SIM_FLOW_TCP)
        return;
    Judge(w, pr.flow_id, link, up, pr.seq, pr.send_us, ipBytes, pr.frame_id);
}

void
ServerRecv(World* w, Ptr<Socket> s)
{
    static uint8_t b[65536];
    Ptr<Packet> p;

    while ((p = s->Recv())) {
        uint32_t n = p->GetSize();

        assert(n <= sizeof(b));
        p->CopyData(b, n);
        Received(*w, -1, true, b, n, n + SIM_IP4_HDR + SIM_UDP_HDR);
    }
}

void
Discard(Ptr<Socket> s)
{
    while (s->Recv())
        ;
}

} // namespace

bool
InstallUdpFlows(World& w, const std::vector<Ptr<Node>>& servers, Ptr<Node> mn, std::string& err)
{
    const sim_scenario* sc = w.sc;
    um3n_addr home;
    char e[SIM_ERR_MAX];

    um3n_addr_from_v4(&home, Ipv4Address("10.200.0.2").Get());
    w.udp = static_cast<sim_metrics*>(std::calloc(1, sizeof(sim_metrics)));
    if (!w.udp || sim_metrics_init(w.udp, sc, w.opts.seed))
        return err = "um3n-ns3sim: out of memory for the flows' metrics", false;
    // The TCP flows are tcpflow.cc's to measure: here they are never active,
    // so they take no part in the handover figures.
    for (size_t i = 0; i < sc->n_flows; i++)
        if (sc->flows[i].type == SIM_FLOW_TCP)
            w.udp->flows[i].start_us = w.udp->flows[i].stop_us = 0;
    for (size_t i = 0; i < sc->n_flows; i++) {
        const sim_flow_spec& fs = sc->flows[i];

        if (fs.type == SIM_FLOW_TCP)
            continue;
        auto f = std::make_unique<UdpFlow>();
        f->w = &w;
        f->i = i;
        if (sim_gen_init(&f->gen, &fs, i, &home, e, sizeof(e)))
            return err = e, false;
        bool down = fs.dir == SIM_DIR_DOWN;
        Ptr<Node> from = down ? servers[i] : mn, to = down ? mn : servers[i];
        Ipv4Address fromAddr(um3n_addr_v4(down ? &fs.server : &home));
        Ipv4Address toAddr(um3n_addr_v4(down ? &home : &fs.server));
        uint16_t fromPort = down ? fs.server_port : fs.client_port;
        uint16_t toPort = down ? fs.client_port : fs.server_port;

        w.anyUdp = true;
        if (fs.type == SIM_FLOW_PCAP) {
            // The header included: ns-3 routes the packet by its own
            // addresses. tx sends from the server, rx (as sender) from the MN.
            f->tx = Socket::CreateSocket(servers[i], Ipv4RawSocketFactory::GetTypeId());
            f->rx = Socket::CreateSocket(mn, Ipv4RawSocketFactory::GetTypeId());
            for (Ptr<Socket> r : {f->tx, f->rx}) {
                r->SetAttribute("IpHeaderInclude", BooleanValue(true));
                r->SetRecvCallback(MakeCallback(&Discard));
            }
            Simulator::Schedule(MicroSeconds(sim_gen_next_us(&f->gen)), &Tick, f.get());
            gFlows.push_back(std::move(f));
            continue;
        }
        f->tx = Socket::CreateSocket(from, UdpSocketFactory::GetTypeId());
        f->tx->Bind(InetSocketAddress(fromAddr, fromPort));
        f->tx->SetRecvCallback(MakeCallback(&Discard));
        f->to = InetSocketAddress(toAddr, toPort);
        // The receiving socket: no ICMP port unreachable goes back. On the MN
        // the packet was counted already (UdpDelivered) and is not delivered.
        f->rx = Socket::CreateSocket(to, UdpSocketFactory::GetTypeId());
        f->rx->Bind(InetSocketAddress(toAddr, toPort));
        f->rx->SetRecvCallback(down ? MakeCallback(&Discard)
                                    : MakeBoundCallback(&ServerRecv, &w));
        Simulator::Schedule(MicroSeconds(sim_gen_next_us(&f->gen)), &Tick, f.get());
        gFlows.push_back(std::move(f));
    }
    return true;
}

bool
PcapDelivered(World& w, int link, bool atMn, const uint8_t* pkt, size_t len)
{
    if (!w.anyUdp || len < SIM_IP4_HDR || (pkt[0] >> 4) != 4)
        return false;
    uint32_t server = um3n_get32(pkt + (atMn ? 12 : 16));
    for (auto& f : gFlows) {
        const sim_flow_spec& fs = w.sc->flows[f->i];

        if (fs.type != SIM_FLOW_PCAP || um3n_addr_v4(&fs.server) != server)
            continue;
        uint32_t seq = sim_gen_seq_from_id(&f->lastSeq, &f->anyRx, um3n_get16(pkt + 4));
        uint64_t sent = sim_metrics_send_time(w.udp, f->i, seq, NowUs());
        uint32_t total = (uint32_t)((size_t)pkt[2] << 8 | pkt[3]);

        Judge(w, f->i, link, !atMn, seq, sent, total <= len ? total : (uint32_t)len, 0);
        return true;
    }
    return false;
}

bool
UdpDelivered(World& w, int link, const uint8_t* pkt, size_t len)
{
    if (!w.anyUdp || len < SIM_IP4_HDR + SIM_UDP_HDR || (pkt[0] >> 4) != 4 ||
        pkt[9] != SIM_PROTO_UDP)
        return false;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t total = (size_t)pkt[2] << 8 | pkt[3];
    if (total > len || ihl + SIM_UDP_HDR + SIM_PROBE_LEN > total)
        return false;
    const uint8_t* payload = pkt + ihl + SIM_UDP_HDR;
    size_t n = total - ihl - SIM_UDP_HDR;
    sim_probe pr;
    if (!sim_probe_read(payload, n, &pr))
        return false;
    Received(w, link, false, payload, n, (uint32_t)total);
    if (w.radio.crossingUs >= 0 && w.radio.movedUs < 0 && link >= 0 &&
        (size_t)link < w.sc->n_links && w.opts.radio.link != w.sc->links[link].name)
        w.radio.movedUs = (int64_t)NowUs();
    return true;
}

void
ClearUdpFlows(World& w)
{
    for (auto& f : gFlows)
        sim_gen_free(&f->gen);
    gFlows.clear();
    if (w.udp)
        sim_metrics_free(w.udp);
    std::free(w.udp);
    w.udp = nullptr;
}

} // namespace um3n
