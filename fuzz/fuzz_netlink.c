/* libFuzzer target: the rtnetlink messages the daemons parse (daemons/dnl.c's
 * link, address and route handlers, droute.c's d_route_parse), fed a buffer
 * of messages as mnl_socket_recvfrom would return it. dnl.c is included so
 * that its static message callback is reached without a socket.
 * Checks: an interface name handed to the link callback is a C string that
 * starts and ends inside the buffer (the daemon compares it with strcmp). */
#include "../daemons/dnl.c"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *buf_lo, *buf_hi;
static unsigned long n_cb;

static void on_link_cb(void *ctx, int ifindex, const char *ifname, bool running)
{
	const uint8_t *p = (const uint8_t *)ifname;

	(void)ctx;
	(void)ifindex;
	(void)running;
	/* the name lies in the message and ends in it */
	if (p < buf_lo || p >= buf_hi || !memchr(p, '\0', (size_t)(buf_hi - p)))
		abort();
	n_cb++;
}

static void on_gone_cb(void *ctx, int ifindex)
{
	(void)ctx;
	(void)ifindex;
	n_cb++;
}

static void on_addr_cb(void *ctx, int ifindex, const struct um3n_addr *addr, bool added)
{
	(void)ctx;
	(void)ifindex;
	(void)added;
	if (addr->family != UM3N_AF_INET && addr->family != UM3N_AF_INET6)
		abort();
	n_cb++;
}

static void on_route_cb(void *ctx, const struct d_route *r, bool added)
{
	(void)ctx;
	(void)added;
	if (!r)
		abort();
	n_cb++;
}

/* What one recvfrom on a netlink socket can hold: messages whose lengths fit
 * in what was read (the kernel's framing). libmnl trusts nlmsg_len: its
 * mnl_nlmsg_ok compares it as an int, so a length of 2^31 or more passes and
 * mnl_nlmsg_next jumps out of the buffer; and it walks attributes up to the
 * message's aligned end (NLMSG_ALIGN), which the kernel's padding (inside
 * d_nl_read's buffer) covers. Only the kernel (or root) can send to the
 * daemons' rtnetlink socket, so inputs are cut at the first message the
 * kernel could not have framed so. */
static size_t kernel_framed(const uint8_t *buf, size_t size)
{
	size_t off = 0;

	while (size - off >= sizeof(struct nlmsghdr)) {
		uint32_t len32;
		size_t len;

		memcpy(&len32, buf + off, sizeof(len32));
		/* NLMSG_ALIGN's mask is 32 bits: 2^32 - 2 would align to 0 */
		len = ((size_t)len32 + 3) & ~(size_t)3;
		if (len32 < sizeof(struct nlmsghdr) || len > size - off)
			break;
		off += len;
	}
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct d_nl nl = {.cb = {.link = on_link_cb,
				 .link_gone = on_gone_cb,
				 .addr = on_addr_cb,
				 .route = on_route_cb}};
	/* netlink buffers are aligned (NLMSG_ALIGN) and exactly as long as what
	 * was read: a malloc'd copy is both, so ASan sees any read past it */
	uint32_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	size = kernel_framed(data, size);
	buf_lo = (const uint8_t *)copy;
	buf_hi = buf_lo + size;
	(void)mnl_cb_run(copy, size, 0, 0, msg_cb, &nl);
	free(copy);
	return 0;
}
