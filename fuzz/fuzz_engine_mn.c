/* libFuzzer target: the MN engine as a whole (core/mn.c and everything it
 * calls: registration machine, link monitor, handover, the data path, the
 * reorder queue), registered with an HA over two uplinks, fed datagrams on
 * its uplinks, TUN packets, link events and time. Input: records of an
 * operation byte, a length byte (times 8 when the top bit is set) and that
 * many bytes; uplink L = op >> 3 & 1:
 *   op & 7: 0 datagram from the HA on uplink L,
 *           1 tunnel data from the HA around the bytes (fuzz_engine.h),
 *           2 datagram from another address on uplink L,
 *           3 a packet from the apps (op & 8: made IPv4 from the home address
 *             to one of the policy's prefixes, so every steering mode runs),
 *           4 a link event on L: byte 0 picks up, down or signal, byte 1 the
 *             level in -dBm,
 *           5 time passes: the length byte (times 8 with the top bit) in
 *             units of 100 us (no bytes follow),
 *           6 a downlink packet given to the HA, which tunnels it to the MN,
 *           7 the MN shuts down (deregisters) when the bytes start "SD"
 *             (the next input gets new engines);
 *   op & 0x40: the engines' outputs go to the peer during the operation.
 * Invariants: fuzz_engine.h. */
#include "fuzz_engine.h"

static void mn_op(uint8_t op, const uint8_t *p, size_t n)
{
	static uint8_t buf[UM3N_PKT_MAX + 64];
	struct um3n_sockaddr other;
	int link = op >> 3 & 1;
	size_t len;

	switch (op & 7) {
	case 0: um3n_mn_udp_input(fz.mn, fz.now, link, &fz.mc.ha, p, n); break;
	case 1:
		len = fz_tunnel(buf, p, n, op >> 4, false);
		if (len)
			um3n_mn_udp_input(fz.mn, fz.now, link, &fz.mc.ha, buf, len);
		break;
	case 2:
		fz_sa(&other, 0x08080808u, 434);
		um3n_mn_udp_input(fz.mn, fz.now, link, &other, p, n);
		break;
	case 3:
		memcpy(buf, p, n);
		if ((op & 8) && n >= 20) {
			buf[16] = 10;
			buf[17] = (uint8_t)(1 + buf[17] % 7);
			fz_fix_ipv4(buf, n, true);
		}
		um3n_mn_tun_input(fz.mn, fz.now, buf, n);
		break;
	case 4:
		if (n < 2)
			break;
		um3n_mn_link_event(fz.mn, fz.now, link, (enum um3n_link_ev)(1 + p[0] % 3),
				   p[0] % 3 == 2 ? -(int)p[1] : 0);
		break;
	case 6:
		memcpy(buf, p, n);
		if (n >= 20) { /* from one of the policy's prefixes: every mode runs */
			buf[12] = 10;
			buf[13] = (uint8_t)(1 + buf[13] % 7);
			fz_fix_ipv4(buf, n, false);
		}
		um3n_ha_tun_input(fz.ha, fz.now, buf, n);
		break;
	case 7: /* rare on purpose: the engines are made again after it */
		if (n >= 2 && p[0] == 'S' && p[1] == 'D') {
			um3n_mn_shutdown(fz.mn, fz.now);
			fz.stale = true;
		}
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned inputs;

	if (!fz.mn || fz.stale || ++inputs % FZ_RESET == 0)
		fz_start();
	fz_play(data, size, mn_op);
	return 0;
}
