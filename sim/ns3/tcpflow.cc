// TCP flows of um3n-ns3sim ([flow] type = tcp): ns-3's own TCP (NewReno,
// Linux's reno, CUBIC, CUBIC with Linux's TCP-friendly region, or BBR, with
// SACK) between a server behind the HA and the MN's home address, one bulk
// sender and one receiver per flow, and what they measure:
// in-order bytes delivered, retransmitted segments (and how many of them
// were spurious: their first copy had arrived), the longest stall.
#include "ns3sim.hh"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <set>

using namespace ns3;

namespace um3n
{
namespace
{

const uint32_t kChunk = 65536; // bytes handed to the socket per Send()

struct Flow
{
    World* w;
    size_t i;
    FlowStats* st;
    Ptr<Node> sender, receiver;
    Ipv4Address senderAddr, receiverAddr;
    uint16_t senderPort, receiverPort;
    Ptr<Socket> tx, listener;
    uint64_t queued = 0; // bytes handed to the sending socket
    bool stopped = false;
    std::set<uint64_t> rxSeen; // data segments' starts that reached the receiver (relative)
};

// Far enough behind the highest start seen that no retransmission can be of
// it any more: the send buffer (main.cc, 4 MiB) is smaller.
const uint64_t kSeenWindow = 16u << 20;

uint64_t
NowUs()
{
    return (uint64_t)Simulator::Now().GetMicroSeconds();
}

// A stall is time without new in-order data at the receiver, from the
// flow's start to its end (all bytes delivered, or stop_s).
void
NoteStall(Flow* f, uint64_t now)
{
    int64_t since = f->st->lastRxUs >= 0 ? f->st->lastRxUs : (int64_t)f->w->sc->flows[f->i].start_us;

    if ((int64_t)now - since > f->st->longestStallUs)
        f->st->longestStallUs = (int64_t)now - since;
    // The same stretch clipped to the handover window (hometric.h's stall).
    const sim_metrics* m = f->w->udp;
    if (m && m->handover) {
        int64_t a = std::max(since, (int64_t)m->ho_from_us);
        int64_t b = std::min((int64_t)now, (int64_t)m->ho_to_us);

        if (b - a > f->st->hoStallUs)
            f->st->hoStallUs = b - a;
    }
}

void
OnRecv(Flow* f, Ptr<Socket> s)
{
    const sim_flow_spec& fs = f->w->sc->flows[f->i];
    Ptr<Packet> p;

    while ((p = s->Recv())) {
        uint64_t now = NowUs();

        if (p->GetSize() == 0 || now > fs.stop_us || f->st->doneUs >= 0)
            continue;
        NoteStall(f, now);
        f->st->lastRxUs = (int64_t)now;
        f->st->rxBytes += p->GetSize();
        AddPerSecond(f->st->secBytes, now, p->GetSize());
        if (fs.bytes && f->st->rxBytes >= fs.bytes)
            f->st->doneUs = (int64_t)now;
    }
}

// Spurious retransmissions, as ns-3 does not count them: a data segment
// of the flow that reaches the receiver's IP layer when a segment with the
// same start already had (the sender retransmitted what had arrived; the
// tunnel's own duplicates never get there, the engines drop them). Counted
// below TCP: its socket's Rx trace fires only after the check that throws
// away a segment wholly below what it acknowledged, which is what most
// spurious copies are (ns3-aggregate-trace: 0 counted there, against 116
// copies seen twice in the MN's TUN pcap over 30 s).
void
OnLocalDeliver(Flow* f, const Ipv4Header& ip, Ptr<const Packet> p, uint32_t)
{
    TcpHeader h;

    if (ip.GetProtocol() != 6 || ip.GetSource() != f->senderAddr ||
        ip.GetDestination() != f->receiverAddr || !f->st->txSeen || !p->PeekHeader(h) ||
        h.GetSourcePort() != f->senderPort || h.GetDestinationPort() != f->receiverPort ||
        p->GetSize() <= h.GetSerializedSize())
        return;
    uint64_t rel = (uint32_t)(h.GetSequenceNumber().GetValue() - f->st->isn);

    if (!f->rxSeen.insert(rel).second) {
        f->st->spurious++;
        return;
    }
    uint64_t top = *f->rxSeen.rbegin();
    if (top > kSeenWindow)
        f->rxSeen.erase(f->rxSeen.begin(), f->rxSeen.lower_bound(top - kSeenWindow));
}

void
OnAccept(Flow* f, Ptr<Socket> s, const Address&)
{
    s->SetRecvCallback(MakeBoundCallback(&OnRecv, f));
}

// Retransmissions: data segments starting below the highest sequence
// already sent (relative to the SYN's, so wrap-around does not matter).
void
OnTx(Flow* f, Ptr<const Packet> p, const TcpHeader& h, Ptr<const TcpSocketBase>)
{
    FlowStats* st = f->st;
    uint32_t seq = h.GetSequenceNumber().GetValue();

    if (!st->txSeen) {
        st->txSeen = true;
        st->isn = seq;
    }
    if (p->GetSize() == 0)
        return;
    uint64_t rel = (uint32_t)(seq - st->isn);
    st->txSegments++;
    if (rel < st->highTx)
        st->retransmissions++;
    if (rel + p->GetSize() > st->highTx)
        st->highTx = rel + p->GetSize();
}

// The cwnd at the end of each second: the last value set in it, carried
// forward over seconds without a change.
void
OnCwnd(Flow* f, uint32_t, uint32_t cwnd)
{
    std::vector<uint32_t>& v = f->st->secCwnd;
    size_t sec = (size_t)(NowUs() / 1000000);
    uint32_t last = v.empty() ? 0 : v.back();

    while (v.size() <= sec)
        v.push_back(last);
    v[sec] = cwnd;
}

void
Fill(Flow* f, Ptr<Socket> s, uint32_t)
{
    const sim_flow_spec& fs = f->w->sc->flows[f->i];

    while (!f->stopped && (!fs.bytes || f->queued < fs.bytes)) {
        uint64_t want = fs.bytes ? fs.bytes - f->queued : kChunk;
        uint32_t n = (uint32_t)std::min<uint64_t>({want, kChunk, s->GetTxAvailable()});

        if (n == 0)
            break;
        int sent = s->Send(Create<Packet>(n));
        if (sent <= 0)
            break;
        f->queued += (uint64_t)sent;
    }
}

void
Connected(Flow* f, Ptr<Socket> s)
{
    Fill(f, s, 0);
}

// CUBIC as Linux runs it: ns-3 3.37's TcpCubic lacks Linux's TCP-friendly
// region (tcp_cubic.c, tcp_friendliness; RFC 8312 4.2), the window a Reno
// flow would have reached since the last loss (about half a segment a round
// trip at beta 0.7), under which CUBIC never grows slower. Without it the
// window sits still for seconds near its last maximum (CUBIC's plateau):
// one aggregated flow stayed at 103 KB for 3 s, below the 123 KB both links
// need, and its runs were bimodal (seeds 1-5: 14.37-16.15 Mbit/s, the
// testbed's Linux 16.20). Linux takes the faster of the two growths; here
// the Reno estimate adds a segment only on ACKs where TcpCubic's own
// counter did not.
class LinuxCubic : public TcpCubic
{
  public:
    static TypeId GetTypeId()
    {
        static TypeId tid = TypeId("um3n::LinuxCubic")
                                .SetParent<TcpCubic>()
                                .SetGroupName("Internet")
                                .AddConstructor<LinuxCubic>();
        return tid;
    }

    std::string GetName() const override
    {
        return "LinuxCubic";
    }

    uint32_t GetSsThresh(Ptr<const TcpSocketState> tcb, uint32_t bytesInFlight) override
    {
        m_epoch = false; // a loss ends the epoch, as TcpCubic's
        return TcpCubic::GetSsThresh(tcb, bytesInFlight);
    }

    void IncreaseWindow(Ptr<TcpSocketState> tcb, uint32_t segmentsAcked) override
    {
        uint32_t before = tcb->m_cWnd;
        bool avoiding = tcb->m_cWnd >= tcb->m_ssThresh;

        TcpCubic::IncreaseWindow(tcb, segmentsAcked);
        if (avoiding && segmentsAcked > 0)
            Friendly(tcb, segmentsAcked, tcb->m_cWnd != before);
    }

    Ptr<TcpCongestionOps> Fork() override
    {
        return CopyObject<LinuxCubic>(this);
    }

  private:
    // Linux's beta_scale for beta 717/1024: the Reno estimate gains a
    // segment per cwnd * 15 / 8 segments acked.
    static constexpr uint32_t kBetaScale = 15;

    void Friendly(Ptr<TcpSocketState> tcb, uint32_t acked, bool grew)
    {
        uint32_t cwnd = tcb->GetCwndInSegments();

        if (!m_epoch) { // the epoch's start: Reno would be where we are
            m_epoch = true;
            m_renoCwnd = cwnd;
            m_ackCnt = 0;
            m_cnt = 0;
        }
        m_ackCnt += acked;
        for (uint32_t delta = std::max(cwnd * kBetaScale / 8, 1u); m_ackCnt > delta;) {
            m_ackCnt -= delta;
            m_renoCwnd++;
        }
        if (grew || m_renoCwnd <= cwnd) { // CUBIC is the faster (or just grew)
            m_cnt = 0;
            return;
        }
        // Linux's cnt: a segment per cwnd / (reno - cwnd) acked, at least 2.
        uint32_t cnt = std::max(cwnd / (m_renoCwnd - cwnd), 2u);
        m_cnt += acked;
        if (m_cnt >= cnt) {
            tcb->m_cWnd += tcb->m_segmentSize;
            m_cnt -= cnt;
        }
    }

    bool m_epoch = false;
    uint32_t m_renoCwnd = 0; // Linux's tcp_cwnd, in segments
    uint32_t m_ackCnt = 0;   // segments acked toward its next segment
    uint32_t m_cnt = 0;      // segments acked toward our next increase
};

NS_OBJECT_ENSURE_REGISTERED(LinuxCubic);

const char*
CcType(const char* cc)
{
    if (!std::strcmp(cc, "newreno"))
        return "ns3::TcpNewReno";
    // NewReno as Linux's reno counts: a window's worth of acked segments
    // adds one, where TcpNewReno adds per ACK and so grows half as fast
    // behind delayed ACKs (the cross-check's reno row, README).
    if (!std::strcmp(cc, "linux-reno"))
        return "ns3::TcpLinuxReno";
    if (!std::strcmp(cc, "bbr"))
        return "ns3::TcpBbr";
    if (!std::strcmp(cc, "linux-cubic"))
        return "um3n::LinuxCubic";
    return "ns3::TcpCubic"; // also the default, as on Linux
}

void
Start(Flow* f)
{
    const sim_flow_spec& fs = f->w->sc->flows[f->i];
    bool bbr = !std::strcmp(fs.cc, "bbr");

    // BBR needs pacing, which ns-3 reads from TcpSocketState's default when
    // the socket is made; the other flows keep Linux's default (no pacing).
    Config::SetDefault("ns3::TcpSocketState::EnablePacing", BooleanValue(bbr));
    f->tx = Socket::CreateSocket(f->sender, TcpSocketFactory::GetTypeId());
    Config::SetDefault("ns3::TcpSocketState::EnablePacing", BooleanValue(false));
    Ptr<TcpSocketBase> tcp = DynamicCast<TcpSocketBase>(f->tx);
    ObjectFactory cc;
    cc.SetTypeId(CcType(fs.cc));
    tcp->SetCongestionControlAlgorithm(cc.Create<TcpCongestionOps>());
    tcp->TraceConnectWithoutContext("Tx", MakeBoundCallback(&OnTx, f));
    tcp->TraceConnectWithoutContext("CongestionWindow", MakeBoundCallback(&OnCwnd, f));
    f->tx->Bind(InetSocketAddress(f->senderAddr, f->senderPort));
    f->tx->SetConnectCallback(MakeBoundCallback(&Connected, f),
                              MakeNullCallback<void, Ptr<Socket>>());
    f->tx->SetSendCallback(MakeBoundCallback(&Fill, f));
    f->tx->Connect(InetSocketAddress(f->receiverAddr, f->receiverPort));
}

void
Stop(Flow* f)
{
    f->stopped = true;
    if (f->st->doneUs < 0)
        NoteStall(f, NowUs());
}

std::vector<std::unique_ptr<Flow>> g_flows; // live until the process ends: ns-3 holds callbacks

} // namespace

void
InstallTcpFlow(World& w,
               size_t i,
               Ptr<Node> server,
               Ipv4Address serverAddr,
               Ptr<Node> mn,
               Ipv4Address mnAddr)
{
    const sim_flow_spec& fs = w.sc->flows[i];
    bool down = fs.dir == SIM_DIR_DOWN;
    auto f = std::make_unique<Flow>();

    assert(i < w.flows.size() && fs.type == SIM_FLOW_TCP);
    f->w = &w;
    f->i = i;
    f->st = &w.flows[i];
    f->sender = down ? server : mn;
    f->receiver = down ? mn : server;
    f->senderAddr = down ? serverAddr : mnAddr;
    f->receiverAddr = down ? mnAddr : serverAddr;
    f->senderPort = down ? fs.server_port : fs.client_port;
    f->receiverPort = down ? fs.client_port : fs.server_port;
    f->listener = Socket::CreateSocket(f->receiver, TcpSocketFactory::GetTypeId());
    f->listener->Bind(InetSocketAddress(f->receiverAddr, f->receiverPort));
    f->listener->Listen();
    f->listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                   MakeBoundCallback(&OnAccept, f.get()));
    f->receiver->GetObject<Ipv4L3Protocol>()->TraceConnectWithoutContext(
        "LocalDeliver",
        MakeBoundCallback(&OnLocalDeliver, f.get()));
    Simulator::Schedule(MicroSeconds(fs.start_us), &Start, f.get());
    Simulator::Schedule(MicroSeconds(fs.stop_us), &Stop, f.get());
    g_flows.push_back(std::move(f));
}

void
ClearTcpFlows()
{
    g_flows.clear();
}

void
CountLinkBytes(World& w, int link, const uint8_t* pkt, size_t len)
{
    uint64_t now = NowUs();

    if (link < 0 || (size_t)link >= w.links.size() || len < 40 || (pkt[0] >> 4) != 4 ||
        pkt[9] != 6 || now < w.sc->measure_from_us)
        return;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t total = (size_t)pkt[2] << 8 | pkt[3];
    if (total > len || ihl + 20 > total)
        return;
    size_t doff = (size_t)(pkt[ihl + 12] >> 4) * 4;
    if (ihl + doff >= total)
        return; // a pure ACK: the link carried no data of the flow
    LinkStats& l = w.links[(size_t)link];
    l.bytes += total;
    AddPerSecond(l.secBytes, now, total);
}

// Plain runs (no engines): a link device's MacRx, which shows the PPP header.
void
CountMacRx(World* w, int link, Ptr<const Packet> p)
{
    static uint8_t b[65536];
    uint32_t n = p->GetSize(), ppp = 0;

    assert(n <= sizeof(b));
    p->CopyData(b, n);
    if (n > 2 && b[0] == 0x00 && b[1] == 0x21)
        ppp = 2; // PPP protocol 0x0021: IPv4
    CountLinkBytes(*w, link, b + ppp, n - ppp);
}

} // namespace um3n
