/* libFuzzer target: the HA engine as a whole (core/ha.c and everything it
 * calls: registration, bindings, the data path, the reorder queue), fed
 * datagrams from a registered MN's care-of addresses and from strangers,
 * TUN packets and time. Input: records of an operation byte, a length byte
 * (times 8 when the operation's top bit is set) and that many bytes:
 *   op & 7: 0 datagram from uplink (op >> 3 & 1)'s care-of address,
 *           1 tunnel data around the bytes from that address (fuzz_engine.h),
 *           2 datagram from a stranger, 3 tunnel data from a stranger,
 *           4 a packet on the HA's TUN (op & 8: made an IPv4 packet to the MN),
 *           5 time passes: the length byte (times 8 with the top bit) in
 *             units of 100 us (no bytes follow),
 *           6 datagram from a care-of address's IP at another port (NAT
 *             rebinding: the first two bytes are the port),
 *           7 an uplink packet given to the MN, which tunnels it to the HA;
 *   op & 0x40: the engines' outputs go to the peer during the operation.
 * Invariants: fuzz_engine.h. */
#include "fuzz_engine.h"

static void ha_op(uint8_t op, const uint8_t *p, size_t n)
{
	static uint8_t buf[UM3N_PKT_MAX + 64];
	int link = op >> 3 & 1;
	size_t len;

	switch (op & 7) {
	case 0: um3n_ha_udp_input(fz.ha, fz.now, &fz.mc.links[link].local, p, n); break;
	case 1:
		len = fz_tunnel(buf, p, n, op >> 4, true);
		if (len)
			um3n_ha_udp_input(fz.ha, fz.now, &fz.mc.links[link].local, buf, len);
		break;
	case 2: um3n_ha_udp_input(fz.ha, fz.now, &fz.stranger, p, n); break;
	case 3:
		len = fz_tunnel(buf, p, n, op >> 4, true);
		if (len)
			um3n_ha_udp_input(fz.ha, fz.now, &fz.stranger, buf, len);
		break;
	case 4:
		memcpy(buf, p, n);
		if (op & 8)
			fz_fix_ipv4(buf, n, false);
		um3n_ha_tun_input(fz.ha, fz.now, buf, n);
		break;
	case 6:
		if (n < 2)
			break;
		fz.stranger = fz.mc.links[link].local;
		fz.stranger.port = um3n_get16(p);
		um3n_ha_udp_input(fz.ha, fz.now, &fz.stranger, p + 2, n - 2);
		break;
	case 7:
		memcpy(buf, p, n);
		if (n >= 20) { /* to one of the policy's prefixes: every mode runs */
			buf[16] = 10;
			buf[17] = (uint8_t)(1 + buf[17] % 7);
			fz_fix_ipv4(buf, n, true);
		}
		um3n_mn_tun_input(fz.mn, fz.now, buf, n);
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned inputs;

	if (!fz.mn || ++inputs % FZ_RESET == 0) {
		fz_start();
		fz.mn_idle = true; /* the HA is under test: the MN speaks when told */
	}
	fz_sa(&fz.stranger, 0x08080808u, 5353);
	fz_play(data, size, ha_op);
	return 0;
}
