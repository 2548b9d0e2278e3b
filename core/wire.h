/* um3n wire format: every message layout and limit (docs/ARCHITECTURE.md,
 * "Wire format"). The codec is wire_reg.c (registration) and wire_data.c
 * (tunnel data, GRE, inner IP).
 *
 * Standard where a standard exists so Wireshark and scapy read our traffic:
 *   RFC 5944 Registration Request (type 1) / Reply (type 3) on UDP 434,
 *   RFC 3519 UDP Tunnel Request (144) / Reply (44) extensions and tunnel data (type 4),
 *   RFC 5944 MN-HA Authentication extension (32), SPI >= 256 = HMAC-SHA256 (ours),
 *   RFC 3115 Normal Vendor Specific Extensions (134) with Vendor-ID 32473 for um3n data,
 *   RFC 2890 GRE with sequence numbers inside tunnel data (next header 47).
 *
 * IPv4 addresses in the registration structs are uint32_t in HOST order.
 * Decoders never read past `len`, reject truncated, over-long and unknown
 * non-skippable input, and leave pointers that point INTO the decoded buffer. */
#ifndef UM3N_WIRE_H
#define UM3N_WIRE_H

#include "um3n.h"

#define UM3N_PORT_DEFAULT 434

/* Message types (first byte of every UDP payload). */
#define UM3N_MSG_RRQ 1
#define UM3N_MSG_RRP 3
#define UM3N_MSG_TUNNEL_DATA 4

/* Registration Request flags, RFC 5944 §3.3. */
#define UM3N_RRQ_FLAG_S 0x80 /* simultaneous bindings: one binding per uplink */
#define UM3N_RRQ_FLAG_B 0x40
#define UM3N_RRQ_FLAG_D 0x20 /* decapsulation by the MN: co-located care-of address */
#define UM3N_RRQ_FLAG_M 0x10
#define UM3N_RRQ_FLAG_G 0x08
#define UM3N_RRQ_FLAG_R 0x04 /* reserved: must be 0 */
#define UM3N_RRQ_FLAG_T 0x02 /* reverse tunnelling */
#define UM3N_RRQ_FLAG_X 0x01 /* reserved: must be 0 */

#define UM3N_RRQ_FIXED_LEN 24
#define UM3N_RRP_FIXED_LEN 20

/* Extension types. Types >= 128 are skippable (RFC 5944 §1.9). */
#define UM3N_EXT_MN_HA_AUTH 32
#define UM3N_EXT_UDP_TUN_REPLY 44
#define UM3N_EXT_NVSE 134
#define UM3N_EXT_UDP_TUN_REQ 144
#define UM3N_EXT_SKIPPABLE_MIN 128

#define UM3N_VENDOR_ID 32473 /* RFC 5612 documentation enterprise number */
#define UM3N_SPI_HMAC_SHA256_MIN 256
#define UM3N_AUTH_LEN 32 /* HMAC-SHA256 authenticator bytes */

/* um3n's vendor NVSE types (Vendor-NVSE-Type under Vendor-ID 32473). */
#define UM3N_NVSE_LINK_INFO 1    /* RRQ and RRP: which uplink this registration is for */
#define UM3N_NVSE_POLICY_CHUNK 2 /* RRQ: one chunk of the serialised policy table */
#define UM3N_NVSE_POLICY_ACK 3   /* RRP: policy version and chunks the HA holds */
#define UM3N_NVSE_CRYPTO 4       /* RRQ and RRP: encrypted data plane, suite and fresh nonce */

/* The crypto NVSE's value: suite(1) reserved(3) nonce(16). Only suite 1:
 * ChaCha20-Poly1305 (IETF) with HKDF-SHA256 keys (aead.h). */
#define UM3N_CRYPTO_SUITE_CHACHA20POLY1305 1
#define UM3N_CRYPTO_NONCE_LEN 16
#define UM3N_CRYPTO_NVSE_LEN (4 + UM3N_CRYPTO_NONCE_LEN)

/* RFC 3519 encapsulation values and reply codes. */
#define UM3N_ENCAP_IPIP 4
#define UM3N_ENCAP_GRE 47
#define UM3N_UDP_TUN_REPLY_ACCEPT 0
#define UM3N_UDP_TUN_FLAG_F 0x80 /* force UDP tunnelling */

/* Registration Reply codes used by um3n (RFC 5944 §3.4, RFC 3519 §3.2). */
#define UM3N_CODE_ACCEPTED 0
#define UM3N_CODE_ACCEPTED_NO_SIMUL 1
#define UM3N_CODE_DENIED_REASON_UNSPEC 128
#define UM3N_CODE_DENIED_ADMIN 129
#define UM3N_CODE_DENIED_NO_RESOURCES 130
#define UM3N_CODE_MN_FAILED_AUTH 131
#define UM3N_CODE_LIFETIME_TOO_LONG 132 /* (FA code in 5944; HA uses lifetime clamp) */
#define UM3N_CODE_POORLY_FORMED 134
#define UM3N_CODE_IDENT_MISMATCH 133
#define UM3N_CODE_UNKNOWN_HA 136
#define UM3N_CODE_UDP_ENCAP_UNAVAIL 142

/* Tunnel data, RFC 3519 §3.3: type(1) next-header(1) reserved(2) then payload. */
#define UM3N_TUN_HDR_LEN 4
#define UM3N_NH_IPV4 4
#define UM3N_NH_IPV6 41
#define UM3N_NH_GRE 47
/* Encrypted tunnel data (`encrypt = yes`, aead.h), RFC 3692's experimental
 * protocol number as the next header: type(1)=4 next-header(1)=253
 * reserved(2)=0 key-id(1) reserved(3)=0 counter(8) | ciphertext of the whole
 * plain type-4 datagram | tag(16). The first 16 bytes are the associated
 * data; the AEAD nonce is 32 zero bits and the counter. */
#define UM3N_NH_SEALED 253
#define UM3N_SEAL_KEY_ID_OFF 4
#define UM3N_SEAL_CTR_OFF 8
#define UM3N_SEAL_HDR_LEN 16
#define UM3N_SEAL_TAG_LEN 16
#define UM3N_SEAL_OVERHEAD (UM3N_SEAL_HDR_LEN + UM3N_SEAL_TAG_LEN) /* 32 per packet */
/* GRE with the S bit (RFC 2890): flags(2) protocol(2) sequence(4); packets of
 * aggregate rules also set K: flags(2) protocol(2) key(4) sequence(4), the key
 * naming the flow and its place in it (reorder.h, ARCHITECTURE.md §4). */
#define UM3N_GRE_HDR_LEN 8
#define UM3N_GRE_KEY_LEN 4
#define UM3N_GRE_FLAG_S 0x1000
#define UM3N_GRE_FLAG_K 0x2000
#define UM3N_ETHERTYPE_IPV4 0x0800
#define UM3N_ETHERTYPE_IPV6 0x86DD

/* Limits. */
#define UM3N_REG_MSG_MAX 1400 /* registration messages stay unfragmented */
/* Bytes of serialised rules per NVSE: a skippable extension has a one-octet
 * length (RFC 5944 §1.9, RFC 3115 §2), 255 - 8 (NVSE header) - 8 (chunk header). */
#define UM3N_POLICY_CHUNK_MAX 239
#define UM3N_PKT_MAX 2048 /* largest inner packet + tunnel headers carried */
#define UM3N_DATA_OVERHEAD (UM3N_TUN_HDR_LEN + UM3N_GRE_HDR_LEN) /* per data packet */
/* A packet of an aggregate rule carries the GRE key too: 16 bytes. */
#define UM3N_DATA_KEYED_OVERHEAD (UM3N_DATA_OVERHEAD + UM3N_GRE_KEY_LEN)
/* Outer IPv4+UDP+ours at most: the TUN MTU leaves room for the key. */
#define UM3N_OUTER_OVERHEAD_V4 (20 + 8 + UM3N_DATA_KEYED_OVERHEAD)
/* The same when encrypting: 76 bytes, a TUN MTU of 1424 on a 1500-byte link. */
#define UM3N_OUTER_OVERHEAD_V4_SEALED (UM3N_OUTER_OVERHEAD_V4 + UM3N_SEAL_OVERHEAD)
#define UM3N_OUTER_OVERHEAD_V4_ENC(sealed) \
	((sealed) ? UM3N_OUTER_OVERHEAD_V4_SEALED : UM3N_OUTER_OVERHEAD_V4)

struct um3n_link_info {
	uint8_t link_id;      /* MN-local uplink index, 0..UM3N_MAX_LINKS-1 */
	uint8_t link_class;   /* policy class, e.g. cell=1, wifi=2 (see policy.h) */
	uint8_t priority;     /* lower = preferred default */
	uint8_t flags;        /* UM3N_LINK_F_* */
	uint32_t weight_kbps; /* expected rate for downlink aggregation; 0 = not sent */
};
#define UM3N_LINK_F_DEGRADED 0x01 /* MN says: do not send downlink here if avoidable */
#define UM3N_LINK_F_STANDBY 0x02  /* MN says: keep the binding, carry no data */
/* The sender of this message completes the TCP/IPv4 checksums of the packets
 * it decapsulates (its TUN takes partial checksums, like a virtio-net device),
 * so its peer may tunnel them with only the pseudo-header sum in place. The
 * outer UDP checksum covers the bytes in flight. In a request: the MN can; in
 * a reply: the HA can. */
#define UM3N_LINK_F_CSUM_PARTIAL 0x04

struct um3n_policy_chunk {
	uint32_t version;    /* policy table version this chunk belongs to */
	uint16_t index;      /* 0-based chunk number */
	uint16_t count;      /* total chunks for this version (>= 1) */
	const uint8_t *data; /* serialised rules (policy.h); points into the message */
	uint16_t len;
};

/* The crypto NVSE: the sender asks for (RRQ) or agrees to (RRP) encrypted
 * tunnel data, with its fresh nonce for the key derivation (aead.h). */
struct um3n_crypto_offer {
	uint8_t suite; /* UM3N_CRYPTO_SUITE_* */
	uint8_t nonce[UM3N_CRYPTO_NONCE_LEN];
};

struct um3n_policy_ack {
	uint32_t version;     /* newest complete version held, or the one being assembled */
	uint16_t chunks_held; /* chunks of `version` received (== count when complete) */
	uint16_t count;
};

/* Logical Registration Request. On encode the extensions present are written in
 * the RFC order (see wire_reg.c for the section citations). */
struct um3n_rrq {
	uint8_t flags;
	uint16_t lifetime_s;
	uint32_t home_addr, ha_addr, coa;
	uint64_t ident; /* NTP-format timestamp identification, RFC 5944 §5.7 */
	bool has_udp_tun_req;
	uint8_t udp_tun_flags; /* UM3N_UDP_TUN_FLAG_* */
	uint8_t encap;         /* UM3N_ENCAP_* */
	bool has_link_info;
	struct um3n_link_info link;
	bool has_policy_chunk;
	struct um3n_policy_chunk chunk;
	bool has_crypto; /* authenticated: written before the MN-HA extension */
	struct um3n_crypto_offer crypto;
	/* MN-HA authentication (always written on encode). */
	uint32_t spi;
	/* Decode only: */
	bool has_auth;
	const uint8_t *auth; /* authenticator bytes, inside the buffer */
	uint16_t auth_len;
	size_t auth_covered_len; /* bytes [0, auth_covered_len) are covered (RFC 5944 §3.5.1) */
};

struct um3n_rrp {
	uint8_t code;
	uint16_t lifetime_s;
	uint32_t home_addr, ha_addr;
	uint64_t ident;
	bool has_udp_tun_reply;
	uint8_t udp_tun_code;
	uint16_t keepalive_s; /* RFC 3519: NAT keepalive interval the HA asks for */
	bool has_link_info;
	struct um3n_link_info link;
	bool has_policy_ack;
	struct um3n_policy_ack policy_ack;
	bool has_crypto;
	struct um3n_crypto_offer crypto;
	uint32_t spi;
	bool has_auth;
	const uint8_t *auth;
	uint16_t auth_len;
	size_t auth_covered_len;
};

/* Encode. Writes the whole message including an MN-HA Authentication extension
 * whose UM3N_AUTH_LEN-byte authenticator is zero-filled at buf[*auth_off]; the
 * caller signs buf[0, *auth_off) (um3n_auth_sign) and writes the result there.
 * *len is the total message length.
 * Errors: UM3N_EINVAL (bad field, e.g. chunk len > UM3N_POLICY_CHUNK_MAX),
 *         UM3N_ETOOBIG (cap too small or > UM3N_REG_MSG_MAX). */
int um3n_wire_rrq_encode(const struct um3n_rrq *m, uint8_t *buf, size_t cap, size_t *len,
			 size_t *auth_off);
int um3n_wire_rrp_encode(const struct um3n_rrp *m, uint8_t *buf, size_t cap, size_t *len,
			 size_t *auth_off);

/* Decode. Unknown skippable extensions (>= 128, including NVSEs of other vendors)
 * are skipped; unknown non-skippable ones fail. Fields not present have has_* false.
 * Errors: UM3N_ETRUNC, UM3N_EINVAL (bad type/length/reserved flags),
 *         UM3N_EUNKNOWN (unknown non-skippable extension), UM3N_ETOOBIG. */
int um3n_wire_rrq_decode(const uint8_t *buf, size_t len, struct um3n_rrq *m);
int um3n_wire_rrp_decode(const uint8_t *buf, size_t len, struct um3n_rrp *m);

/* Tunnel data. Writes the 4-byte RFC 3519 header, and for next_header GRE the
 * 8-byte RFC 2890 header with `seq`, into hdr; returns bytes written
 * (UM3N_TUN_HDR_LEN or UM3N_DATA_OVERHEAD). `inner_is_v6` picks the GRE protocol. */
size_t um3n_wire_tunnel_hdr(uint8_t *hdr, uint8_t next_header, bool inner_is_v6, uint32_t seq);
/* The same with the GRE K bit and `key` before the sequence number (RFC 2890
 * §2.1): writes UM3N_DATA_KEYED_OVERHEAD bytes and returns that. */
size_t um3n_wire_tunnel_hdr_keyed(uint8_t *hdr, bool inner_is_v6, uint32_t key, uint32_t seq);

struct um3n_tunnel_data {
	uint8_t next_header; /* UM3N_NH_* of the outer tunnel header */
	bool has_seq;        /* GRE with S bit */
	bool has_key;        /* GRE with K bit too (aggregate rules) */
	uint32_t seq;
	uint32_t key;         /* flow and its counter (reorder.h) when has_key */
	const uint8_t *inner; /* inner IP packet, inside the buffer */
	size_t inner_len;
};
/* Decode type-4 tunnel data (and the GRE header if next header is 47).
 * Checks that the inner packet's IP version matches the header.
 * Errors: UM3N_ETRUNC, UM3N_EINVAL, UM3N_EUNKNOWN (next header not 4/41/47). */
int um3n_wire_tunnel_decode(const uint8_t *buf, size_t len, struct um3n_tunnel_data *d);

/* Minimal inner-IP helpers shared by the engines. */
struct um3n_ip_info {
	uint8_t version; /* 4 or 6 */
	uint8_t proto;   /* IPv4 protocol / IPv6 next header */
	struct um3n_addr src, dst;
	size_t header_len; /* IPv4 IHL*4, IPv6 40 */
	size_t total_len;  /* from the header; <= the buffer length */
};
/* Parse the IP header of an inner packet. Errors: UM3N_ETRUNC, UM3N_EINVAL. */
int um3n_wire_ip_parse(const uint8_t *pkt, size_t len, struct um3n_ip_info *ip);

/* RFC 1071 checksum over buf (for the ICMP link probes). */
uint16_t um3n_wire_inet_csum(const uint8_t *buf, size_t len);

#endif
