-- um3n dissector for Wireshark/tshark 4.0 and later (docs/ARCHITECTURE.md §4,
-- core/wire.h). Install: copy into the personal Lua plugin folder
-- (tshark -G folders: "Personal Lua Plugins", e.g. ~/.local/lib/wireshark/plugins/),
-- or load for one run with  tshark -X lua_script:contrib/wireshark/um3n.lua -r FILE.
--
-- Why a plugin: Wireshark's mip dissector hands every RFC 3519 tunnel-data payload
-- to the IPv4 dissector whatever the next header says, so GRE-sequenced data
-- (next header 47) shows as "Bogus IP version", and it prints um3n's RFC 3115
-- vendor NVSEs as opaque bytes. This dissector takes the UDP port(s) of the home
-- agent (preference "Home agent UDP ports", 434 by default) and decodes:
--   registration request/reply (RFC 5944, RFC 3519 UDP tunnel extensions) with
--     um3n's NVSEs field by field: link info, policy chunk (rules of chunk 0),
--     policy ack; the standard mip tree is shown too (preference "mip_tree");
--   tunnel data: the RFC 3519 header, the RFC 2890 GRE header with the
--     sequence number split into link id (3 bits) and per-link counter (29),
--     the key of aggregate and priority rules split into flow bucket (4),
--     "not equalised" (1, priority rules) and counter (27),
--     then the inner IPv4/IPv6 packet;
--   link probes: ICMP echo in tunnel data (next header 4), identifier
--     0x5500 | link, the prober's clock (µs) as the first 8 payload bytes and,
--     in a 24-byte echo, the answerer's clock (0 in a request) after it; a
--     40-byte echo then carries the prober's and the answerer's delivery
--     reports (bytes received on the link mod 2^32, queueing delay in µs;
--     core/rateest.h); a 44-byte echo then the prober's probe interval (ms);
--   repair requests (core/arq.h): ICMP type 253 in tunnel data (next header
--     4), a count n in the first byte after the checksum, then n GRE
--     sequence numbers of datagrams lost on a link, each split as above.
-- Anything that is not as um3n writes it raises an expert error or warning.

local um3n = Proto("um3n", "um3n multihomed Mobile IP")
local F = {}
local function field(key, ctor, ...)
	F[key] = ctor("um3n." .. key, ...)
end

local msg_types = {[1] = "Registration Request", [3] = "Registration Reply",
	[4] = "Tunnel data"}
local codes = {[0] = "accepted", [1] = "accepted, no simultaneous bindings",
	[128] = "denied: reason unspecified", [129] = "denied: administratively prohibited",
	[130] = "denied: insufficient resources", [131] = "denied: MN failed authentication",
	[132] = "denied: lifetime too long", [133] = "denied: identification mismatch",
	[134] = "denied: poorly formed request", [136] = "denied: unknown home agent",
	[142] = "denied: UDP encapsulation unavailable"}
local ext_types = {[32] = "MN-HA Authentication", [44] = "UDP Tunnel Reply",
	[134] = "Normal Vendor Specific (NVSE)", [144] = "UDP Tunnel Request"}
local nvse_types = {[1] = "link info", [2] = "policy chunk", [3] = "policy ack"}
local next_headers = {[4] = "IPv4", [41] = "IPv6", [47] = "GRE (RFC 2890)"}
local encaps = {[4] = "IP in IP", [47] = "GRE", [55] = "minimal"}
local classes = {[0] = "any", [1] = "cell", [2] = "wifi", [3] = "wired"}
-- Steering modes (core/policy.h; ATSSS names, 0 was "prefer").
local modes = {[0] = "active-standby", [1] = "aggregate", [2] = "redundant",
	[3] = "smallest-delay", [4] = "load-balance", [5] = "priority"}
local families = {[4] = "IPv4", [6] = "IPv6"}
local ethertypes = {[0x0800] = "IPv4", [0x86dd] = "IPv6"}

field("type", ProtoField.uint8, "Message type", base.DEC, msg_types)
-- Registration, RFC 5944 §3.3 / §3.4.
field("flags", ProtoField.uint8, "Flags", base.HEX)
field("flags.s", ProtoField.bool, "S: simultaneous bindings (one per uplink)", 8, nil, 0x80)
field("flags.b", ProtoField.bool, "B: broadcast", 8, nil, 0x40)
field("flags.d", ProtoField.bool, "D: co-located care-of (MN decapsulates)", 8, nil, 0x20)
field("flags.m", ProtoField.bool, "M: minimal encapsulation", 8, nil, 0x10)
field("flags.g", ProtoField.bool, "G: GRE", 8, nil, 0x08)
field("flags.r", ProtoField.bool, "r: reserved", 8, nil, 0x04)
field("flags.t", ProtoField.bool, "T: reverse tunnelling", 8, nil, 0x02)
field("flags.x", ProtoField.bool, "x: reserved", 8, nil, 0x01)
field("code", ProtoField.uint8, "Reply code", base.DEC, codes)
field("lifetime", ProtoField.uint16, "Lifetime (s)", base.DEC)
field("home_addr", ProtoField.ipv4, "Home address")
field("ha_addr", ProtoField.ipv4, "Home agent address")
field("coa", ProtoField.ipv4, "Care-of address")
field("ident", ProtoField.uint64, "Identification (NTP timestamp)", base.HEX)
field("ext", ProtoField.none, "Extension")
field("ext.type", ProtoField.uint8, "Extension type", base.DEC, ext_types)
field("ext.len", ProtoField.uint8, "Extension length", base.DEC)
field("ext.data", ProtoField.bytes, "Extension data")
-- RFC 3115 NVSE under um3n's vendor id.
field("nvse.reserved", ProtoField.uint16, "NVSE reserved", base.HEX)
field("nvse.vendor", ProtoField.uint32, "Vendor id", base.DEC)
field("nvse.type", ProtoField.uint16, "Vendor NVSE type", base.DEC, nvse_types)
field("link.id", ProtoField.uint8, "Link id", base.DEC)
field("link.class", ProtoField.uint8, "Link class", base.DEC, classes)
field("link.priority", ProtoField.uint8, "Link priority (lower preferred)", base.DEC)
field("link.flags", ProtoField.uint8, "Link flags", base.HEX)
field("link.flags.degraded", ProtoField.bool, "DEGRADED", 8, nil, 0x01)
field("link.flags.standby", ProtoField.bool, "STANDBY", 8, nil, 0x02)
field("link.flags.csum_partial", ProtoField.bool, "CSUM_PARTIAL", 8, nil, 0x04)
field("link.weight", ProtoField.uint32, "Link weight (kbit/s)", base.DEC)
field("chunk.version", ProtoField.uint32, "Policy version", base.DEC)
field("chunk.index", ProtoField.uint16, "Chunk index", base.DEC)
field("chunk.count", ProtoField.uint16, "Chunk count", base.DEC)
field("chunk.data", ProtoField.bytes, "Policy bytes")
field("policy.format", ProtoField.uint8, "Policy format", base.DEC)
field("policy.default_class", ProtoField.uint8, "Default class", base.DEC, classes)
field("policy.default_mode", ProtoField.uint8, "Default mode", base.DEC, modes)
field("policy.reserved", ProtoField.uint8, "Policy reserved", base.HEX)
field("policy.version", ProtoField.uint32, "Policy table version", base.DEC)
field("policy.rules", ProtoField.uint32, "Rule count", base.DEC)
field("rule", ProtoField.string, "Rule")
field("rule.family", ProtoField.uint8, "Family", base.DEC, families)
field("rule.plen", ProtoField.uint8, "Prefix length", base.DEC)
field("rule.class", ProtoField.uint8, "Class", base.DEC, classes)
field("rule.mode", ProtoField.uint8, "Mode", base.DEC, modes)
field("rule.pct", ProtoField.uint8, "Load-balance share to the class's link (%)", base.DEC)
field("rule.loss_pct", ProtoField.uint8, "Loss threshold (%, 0 = none)", base.DEC)
field("rule.rtt_ms", ProtoField.uint16, "RTT threshold (ms, 0 = none)", base.DEC)
field("rule.prefix", ProtoField.bytes, "Prefix bytes")
field("ack.version", ProtoField.uint32, "Policy version held", base.DEC)
field("ack.held", ProtoField.uint16, "Chunks held", base.DEC)
field("ack.count", ProtoField.uint16, "Chunk count", base.DEC)
field("auth.spi", ProtoField.uint32, "SPI", base.HEX)
field("auth.authenticator", ProtoField.bytes, "Authenticator (HMAC-SHA256)")
field("utun.subtype", ProtoField.uint8, "UDP tunnel sub-type", base.DEC)
field("utun.reserved", ProtoField.uint8, "Reserved", base.HEX)
field("utun.flags", ProtoField.uint8, "UDP tunnel flags", base.HEX)
field("utun.flags.f", ProtoField.bool, "F: force UDP tunnelling", 8, nil, 0x80)
field("utun.encap", ProtoField.uint8, "Encapsulation", base.DEC, encaps)
field("utun.code", ProtoField.uint8, "UDP tunnel reply code", base.DEC)
field("utun.keepalive", ProtoField.uint16, "Keepalive interval (s)", base.DEC)
-- Tunnel data, RFC 3519 §3.3, and RFC 2890 GRE.
field("tun.nexthdr", ProtoField.uint8, "Next header", base.DEC, next_headers)
field("tun.reserved", ProtoField.uint16, "Reserved", base.HEX)
field("gre.flags", ProtoField.uint16, "GRE flags and version", base.HEX)
field("gre.flags.c", ProtoField.bool, "C: checksum present", 16, nil, 0x8000)
field("gre.flags.k", ProtoField.bool, "K: key present (aggregate rule)", 16, nil, 0x2000)
field("gre.flags.s", ProtoField.bool, "S: sequence number present", 16, nil, 0x1000)
field("gre.version", ProtoField.uint16, "GRE version", base.DEC, nil, 0x0007)
field("gre.proto", ProtoField.uint16, "GRE protocol", base.HEX, ethertypes)
field("gre.key", ProtoField.uint32, "GRE key (flow and its counter)", base.HEX)
field("gre.key.flow", ProtoField.uint32, "Flow bucket", base.DEC, nil, 0xf0000000)
field("gre.key.no_eq", ProtoField.uint32, "Not equalised (priority rule)", base.DEC, nil,
	0x08000000)
field("gre.key.counter", ProtoField.uint32, "Flow counter", base.DEC, nil, 0x07ffffff)
field("gre.seq", ProtoField.uint32, "GRE sequence number", base.DEC)
field("gre.seq.link", ProtoField.uint32, "First link", base.DEC, nil, 0xe0000000)
field("gre.seq.counter", ProtoField.uint32, "Per-link counter", base.DEC, nil, 0x1fffffff)
field("inner.cut", ProtoField.uint32, "Inner packet cut by the snaplen, bytes on the wire",
	base.DEC)
field("inner.src", ProtoField.ipv4, "Inner source")
field("inner.dst", ProtoField.ipv4, "Inner destination")
field("inner.src6", ProtoField.ipv6, "Inner source")
field("inner.dst6", ProtoField.ipv6, "Inner destination")
field("inner.proto", ProtoField.uint8, "Inner protocol", base.DEC)
-- Link probes.
field("probe", ProtoField.string, "Link probe")
field("probe.kind", ProtoField.string, "Kind")
field("probe.link", ProtoField.uint16, "Probed link", base.DEC, nil, 0x00ff)
field("probe.seq", ProtoField.uint16, "Probe sequence", base.DEC)
field("probe.sent_us", ProtoField.uint64, "Prober's clock at send (µs)", base.DEC)
field("probe.answer_us", ProtoField.uint64, "Answerer's clock at the answer (µs; 0 in a request)",
	base.DEC)
field("probe.prober_rx_bytes", ProtoField.uint32, "Prober's report: bytes received on the link",
	base.DEC)
field("probe.prober_queue_us", ProtoField.uint32, "Prober's report: queueing delay (µs)", base.DEC)
field("probe.answerer_rx_bytes", ProtoField.uint32,
	"Answerer's report: bytes received on the link (0 in a request)", base.DEC)
field("probe.answerer_queue_us", ProtoField.uint32, "Answerer's report: queueing delay (µs)",
	base.DEC)
field("probe.interval_ms", ProtoField.uint32, "Prober's probe interval (ms; idle: the keepalive)",
	base.DEC)
-- Repair requests (core/arq.h).
field("nack", ProtoField.string, "Repair request")
field("nack.count", ProtoField.uint8, "Datagrams asked for", base.DEC)
field("nack.seq", ProtoField.uint32, "Lost datagram's GRE sequence number", base.DEC)
field("nack.seq.link", ProtoField.uint32, "Its link", base.DEC, nil, 0xe0000000)
field("nack.seq.counter", ProtoField.uint32, "Its per-link counter", base.DEC, nil, 0x1fffffff)
local fields = {}
for _, f in pairs(F) do fields[#fields + 1] = f end
um3n.fields = fields

local E = {
	short = ProtoExpert.new("um3n.short", "Message shorter than its layout",
		expert.group.MALFORMED, expert.severity.ERROR),
	type = ProtoExpert.new("um3n.bad_type", "Unknown message type",
		expert.group.MALFORMED, expert.severity.ERROR),
	nexthdr = ProtoExpert.new("um3n.bad_nexthdr", "Next header not 4, 41 or 47",
		expert.group.MALFORMED, expert.severity.ERROR),
	gre = ProtoExpert.new("um3n.bad_gre", "GRE flags or protocol not as um3n sends them",
		expert.group.MALFORMED, expert.severity.ERROR),
	version = ProtoExpert.new("um3n.bad_ip_version", "Inner IP version differs from the header",
		expert.group.MALFORMED, expert.severity.ERROR),
	ext = ProtoExpert.new("um3n.bad_ext", "Extension malformed or unknown non-skippable",
		expert.group.MALFORMED, expert.severity.ERROR),
	cut = ProtoExpert.new("um3n.inner_cut", "Inner packet cut by the capture's snaplen: not dissected",
		expert.group.UNDECODED, expert.severity.NOTE),
	reserved = ProtoExpert.new("um3n.reserved", "Reserved bits set",
		expert.group.PROTOCOL, expert.severity.WARN),
}
um3n.experts = {E.short, E.type, E.nexthdr, E.gre, E.version, E.ext, E.cut, E.reserved}

um3n.prefs.ports = Pref.range("Home agent UDP ports", "434",
	"UDP ports of um3n (the daemons' and the simulator's `port`, 434 by default)", 65535)
um3n.prefs.mip_tree = Pref.bool("Show the standard mip tree",
	true, "Also run Wireshark's RFC 5944 dissector on registration messages (mip.* fields)")

local mip = Dissector.get("mip")
local ip = Dissector.get("ip")
local ipv6 = Dissector.get("ipv6")

-- Bytes the message says it has (reported) against bytes captured: a short
-- capture (snaplen) just ends the tree, a short message is malformed.
local function need(tvb, tree, off, n)
	if tvb:reported_length_remaining(off) < n then
		tree:add_proto_expert_info(E.short)
		return false
	end
	return tvb:len() >= off + n
end

local function policy_rules(tvb, tree, off, stop)
	-- Chunk 0 starts with the table's header (core/policy.h); rules that run
	-- into the next chunk are left as bytes (chunks ride separate requests).
	if stop - off < 12 then return end
	-- Format 1: rule header {family plen class mode}; format 2 adds {pct
	-- loss_pct rtt_ms(2)} (the steering parameters).
	local rh = tvb(off, 1):uint() >= 2 and 8 or 4
	tree:add(F["policy.format"], tvb(off, 1))
	tree:add(F["policy.default_class"], tvb(off + 1, 1))
	tree:add(F["policy.default_mode"], tvb(off + 2, 1))
	tree:add(F["policy.reserved"], tvb(off + 3, 1))
	tree:add(F["policy.version"], tvb(off + 4, 4))
	local n = tvb(off + 8, 4):uint()
	tree:add(F["policy.rules"], tvb(off + 8, 4))
	off = off + 12
	for _ = 1, n do
		if stop - off < rh then break end
		local plen = tvb(off + 1, 1):uint()
		local nb = math.floor((plen + 7) / 8)
		if stop - off < rh + nb then break end
		local fam = tvb(off, 1):uint()
		local pfx
		if fam == 4 then
			local b = {0, 0, 0, 0}
			for i = 1, nb do b[i] = tvb(off + rh - 1 + i, 1):uint() end
			pfx = table.concat(b, ".")
		else
			pfx = nb > 0 and tostring(tvb(off + rh, nb):bytes()) or "::"
		end
		local mode = tvb(off + 3, 1):uint()
		local text = string.format("%s/%d -> %s %s", pfx, plen,
			classes[tvb(off + 2, 1):uint()] or "class" .. tvb(off + 2, 1):uint(),
			modes[mode] or "?")
		if rh == 8 then
			-- As um3n.conf(5) writes it: "load-balance 70 rtt_ms=150 loss_pct=5".
			if mode == 4 then text = text .. " " .. tvb(off + 4, 1):uint() end
			if tvb(off + 6, 2):uint() > 0 then
				text = text .. " rtt_ms=" .. tvb(off + 6, 2):uint()
			end
			if tvb(off + 5, 1):uint() > 0 then
				text = text .. " loss_pct=" .. tvb(off + 5, 1):uint()
			end
		end
		local r = tree:add(F.rule, tvb(off, rh + nb), text)
		r:add(F["rule.family"], tvb(off, 1))
		r:add(F["rule.plen"], tvb(off + 1, 1))
		r:add(F["rule.class"], tvb(off + 2, 1))
		r:add(F["rule.mode"], tvb(off + 3, 1))
		if rh == 8 then
			r:add(F["rule.pct"], tvb(off + 4, 1))
			r:add(F["rule.loss_pct"], tvb(off + 5, 1))
			r:add(F["rule.rtt_ms"], tvb(off + 6, 2))
		end
		if nb > 0 then r:add(F["rule.prefix"], tvb(off + rh, nb)) end
		off = off + rh + nb
	end
end

local function nvse(tvb, t, off, len)
	-- RFC 3115 §2 (8-bit length, skippable): reserved(2) vendor(4) type(2) value.
	if len < 8 then
		t:add_proto_expert_info(E.ext, "NVSE shorter than its 8-byte header")
		return
	end
	t:add(F["nvse.reserved"], tvb(off, 2))
	t:add(F["nvse.vendor"], tvb(off + 2, 4))
	t:add(F["nvse.type"], tvb(off + 6, 2))
	local v, n, vt = off + 8, len - 8, tvb(off + 6, 2):uint()
	if tvb(off + 2, 4):uint() ~= 32473 then
		if n > 0 then t:add(F["ext.data"], tvb(v, n)) end
		return
	end
	t:append_text(": um3n " .. (nvse_types[vt] or "type " .. vt))
	if vt == 1 and (n == 4 or n == 8) then
		t:add(F["link.id"], tvb(v, 1))
		t:add(F["link.class"], tvb(v + 1, 1))
		t:add(F["link.priority"], tvb(v + 2, 1))
		local fl = t:add(F["link.flags"], tvb(v + 3, 1))
		fl:add(F["link.flags.degraded"], tvb(v + 3, 1))
		fl:add(F["link.flags.standby"], tvb(v + 3, 1))
		fl:add(F["link.flags.csum_partial"], tvb(v + 3, 1))
		if n == 8 then t:add(F["link.weight"], tvb(v + 4, 4)) end
	elseif vt == 2 and n >= 8 then
		t:add(F["chunk.version"], tvb(v, 4))
		t:add(F["chunk.index"], tvb(v + 4, 2))
		t:add(F["chunk.count"], tvb(v + 6, 2))
		if tvb(v + 4, 2):uint() >= tvb(v + 6, 2):uint() then
			t:add_proto_expert_info(E.ext, "Policy chunk index not below its count")
		end
		if n > 8 then
			local d = t:add(F["chunk.data"], tvb(v + 8, n - 8))
			if tvb(v + 4, 2):uint() == 0 then policy_rules(tvb, d, v + 8, v + n) end
		end
	elseif vt == 3 and n == 8 then
		t:add(F["ack.version"], tvb(v, 4))
		t:add(F["ack.held"], tvb(v + 4, 2))
		t:add(F["ack.count"], tvb(v + 6, 2))
	elseif vt >= 1 and vt <= 3 then
		t:add_proto_expert_info(E.ext, "um3n NVSE of a length its type does not have")
	elseif n > 0 then
		t:add(F["ext.data"], tvb(v, n))
	end
end

local function udp_tunnel(tvb, t, off, len, request)
	-- RFC 3519 §3.1 (request, 144) and §3.2 (reply, 44): six bytes.
	if len ~= 6 then
		t:add_proto_expert_info(E.ext, "UDP tunnel extension not 6 bytes long")
		return
	end
	t:add(F["utun.subtype"], tvb(off, 1))
	if request then
		t:add(F["utun.reserved"], tvb(off + 1, 1))
		local fl = t:add(F["utun.flags"], tvb(off + 2, 1))
		fl:add(F["utun.flags.f"], tvb(off + 2, 1))
		t:add(F["utun.encap"], tvb(off + 3, 1))
	else
		t:add(F["utun.code"], tvb(off + 1, 1))
		t:add(F["utun.flags"], tvb(off + 2, 1))
		t:add(F["utun.keepalive"], tvb(off + 4, 2))
	end
end

local function extensions(tvb, tree, off, request)
	while off < tvb:reported_len() do
		if not need(tvb, tree, off, 2) then return end
		local ty, len = tvb(off, 1):uint(), tvb(off + 1, 1):uint()
		local t = tree:add(F.ext, tvb(off, math.min(2 + len, tvb:len() - off)))
		t:set_text(ext_types[ty] or "Extension " .. ty)
		t:add(F["ext.type"], tvb(off, 1))
		t:add(F["ext.len"], tvb(off + 1, 1))
		if not need(tvb, t, off + 2, len) then return end
		local b = off + 2
		if ty == 134 then
			nvse(tvb, t, b, len)
		elseif ty == 32 and len > 4 then
			t:add(F["auth.spi"], tvb(b, 4))
			t:add(F["auth.authenticator"], tvb(b + 4, len - 4))
		elseif ty == 144 or ty == 44 then
			udp_tunnel(tvb, t, b, len, ty == 144)
		elseif ty < 128 then
			t:add_proto_expert_info(E.ext, "Unknown non-skippable extension")
			return
		elseif len > 0 then
			t:add(F["ext.data"], tvb(b, len))
		end
		off = b + len
	end
end

local function registration(tvb, pinfo, tree, ty)
	local fixed = ty == 1 and 24 or 20
	if not need(tvb, tree, 0, fixed) then return end
	if ty == 1 then
		local fl = tree:add(F.flags, tvb(1, 1))
		for _, k in ipairs({"s", "b", "d", "m", "g", "r", "t", "x"}) do
			fl:add(F["flags." .. k], tvb(1, 1))
		end
		if bit.band(tvb(1, 1):uint(), 0x05) ~= 0 then
			fl:add_proto_expert_info(E.reserved)
		end
	else
		tree:add(F.code, tvb(1, 1))
	end
	tree:add(F.lifetime, tvb(2, 2))
	tree:add(F.home_addr, tvb(4, 4))
	tree:add(F.ha_addr, tvb(8, 4))
	if ty == 1 then tree:add(F.coa, tvb(12, 4)) end
	tree:add(F.ident, tvb(fixed - 8, 8))
	local what = ty == 1 and "Registration Request" or
		"Registration Reply (" .. (codes[tvb(1, 1):uint()] or tvb(1, 1):uint()) .. ")"
	pinfo.cols.info:set(what .. ", lifetime " .. tvb(2, 2):uint() .. " s")
	extensions(tvb, tree, fixed, ty == 1)
end

-- The inner packet's dissector; nil (and an expert error) when its version
-- does not match what the headers said.
local function inner(tvb, tree, off, version)
	if tvb:len() <= off then return nil end
	local v = bit.rshift(tvb(off, 1):uint(), 4)
	if v ~= version then
		tree:add_proto_expert_info(E.version,
			string.format("Inner IP version %d, the header says %d", v, version))
		return nil
	end
	return version == 4 and ip or ipv6
end

-- A Lua dissector cannot hand on a part of a packet cut by the capture's snaplen
-- with its real length (Wireshark 4.0: TvbRange:tvb() ends at the captured
-- bytes, and the IP dissector would take the cut for a bad total length), so
-- such an inner packet gets its addresses and length here instead.
local function cut_inner(tvb, pinfo, tree, off, version)
	local hl = version == 4 and 20 or 40
	local t = tree:add(F["inner.cut"], tvb(off), tvb:reported_len() - off)
	t:add_proto_expert_info(E.cut)
	if tvb:len() < off + hl then return end
	if version == 4 then
		t:add(F["inner.src"], tvb(off + 12, 4))
		t:add(F["inner.dst"], tvb(off + 16, 4))
		t:add(F["inner.proto"], tvb(off + 9, 1))
		pinfo.cols.info:append(string.format("%s → %s, protocol %d", tvb(off + 12, 4):ipv4(),
			tvb(off + 16, 4):ipv4(), tvb(off + 9, 1):uint()))
	else
		t:add(F["inner.src6"], tvb(off + 8, 16))
		t:add(F["inner.dst6"], tvb(off + 24, 16))
		t:add(F["inner.proto"], tvb(off + 6, 1))
	end
end

local function probe(tvb, tree, off)
	-- ICMP echo (request 8, reply 0) with identifier 0x55xx: an um3n link probe.
	if tvb:len() < off + 20 then return "" end
	local ihl = bit.band(tvb(off, 1):uint(), 0x0f) * 4
	local icmp = off + ihl
	if tvb(off + 9, 1):uint() ~= 1 or tvb:len() < icmp + 16 then return "" end
	local it = tvb(icmp, 1):uint()
	if (it ~= 8 and it ~= 0) or bit.rshift(tvb(icmp + 4, 2):uint(), 8) ~= 0x55 then
		return ""
	end
	local kind = it == 8 and "request" or "reply"
	local link = bit.band(tvb(icmp + 4, 2):uint(), 0xff)
	local p = tree:add(F.probe, tvb(icmp, 16), "link " .. link .. " " .. kind)
	p:add(F["probe.kind"], tvb(icmp, 1), kind)
	p:add(F["probe.link"], tvb(icmp + 4, 2))
	p:add(F["probe.seq"], tvb(icmp + 6, 2))
	p:add(F["probe.sent_us"], tvb(icmp + 8, 8))
	-- A 24-byte echo has the answerer's slot (older probers sent 16 bytes).
	local ip_len = tvb(off + 2, 2):uint()
	if ip_len - ihl >= 24 and tvb:len() >= icmp + 24 then
		p:add(F["probe.answer_us"], tvb(icmp + 16, 8))
	end
	-- A 40-byte echo has both delivery reports after the clocks.
	if ip_len - ihl >= 40 and tvb:len() >= icmp + 40 then
		p:add(F["probe.prober_rx_bytes"], tvb(icmp + 24, 4))
		p:add(F["probe.prober_queue_us"], tvb(icmp + 28, 4))
		p:add(F["probe.answerer_rx_bytes"], tvb(icmp + 32, 4))
		p:add(F["probe.answerer_queue_us"], tvb(icmp + 36, 4))
	end
	if ip_len - ihl >= 44 and tvb:len() >= icmp + 44 then
		p:add(F["probe.interval_ms"], tvb(icmp + 40, 4))
	end
	return string.format("Probe %s, link %d", kind, link)
end

local function nack(tvb, tree, off)
	-- ICMP type 253 code 0: count, 3 zero bytes, that many sequence numbers.
	if tvb:len() < off + 28 then return "" end
	local ihl = bit.band(tvb(off, 1):uint(), 0x0f) * 4
	local icmp = off + ihl
	if tvb(off + 9, 1):uint() ~= 1 or tvb:len() < icmp + 8 or tvb(icmp, 1):uint() ~= 253 then
		return ""
	end
	local n = tvb(icmp + 4, 1):uint()
	if tvb:len() < icmp + 8 + 4 * n then return "" end
	local t = tree:add(F.nack, tvb(icmp, 8 + 4 * n), n .. " datagrams")
	t:add(F["nack.count"], tvb(icmp + 4, 1))
	for i = 0, n - 1 do
		local q = t:add(F["nack.seq"], tvb(icmp + 8 + 4 * i, 4))
		q:add(F["nack.seq.link"], tvb(icmp + 8 + 4 * i, 4))
		q:add(F["nack.seq.counter"], tvb(icmp + 8 + 4 * i, 4))
	end
	return string.format("Repair request, %d datagrams", n)
end

local function gre(tvb, tree, off)
	-- RFC 2890: flags(2) proto(2) [key(4)] seq(4). um3n sends S, or K and S.
	if not need(tvb, tree, off, 4) then return nil end
	local fl = tvb(off, 2):uint()
	local keyed = fl == 0x3000
	local hlen = keyed and 12 or 8
	if not need(tvb, tree, off, hlen) then return nil end
	local g = tree:add(F["gre.flags"], tvb(off, 2))
	g:add(F["gre.flags.c"], tvb(off, 2))
	g:add(F["gre.flags.k"], tvb(off, 2))
	g:add(F["gre.flags.s"], tvb(off, 2))
	g:add(F["gre.version"], tvb(off, 2))
	tree:add(F["gre.proto"], tvb(off + 2, 2))
	local proto = tvb(off + 2, 2):uint()
	if (fl ~= 0x1000 and not keyed) or (proto ~= 0x0800 and proto ~= 0x86dd) then
		tree:add_proto_expert_info(E.gre)
		return nil
	end
	local s, info = off + 4, ""
	if keyed then
		local k = tree:add(F["gre.key"], tvb(s, 4))
		k:add(F["gre.key.flow"], tvb(s, 4))
		k:add(F["gre.key.no_eq"], tvb(s, 4))
		k:add(F["gre.key.counter"], tvb(s, 4))
		local key = tvb(s, 4):uint()
		info = string.format(", flow %d #%d", bit.rshift(key, 28), bit.band(key, 0x07ffffff))
		s = s + 4
	end
	local q = tree:add(F["gre.seq"], tvb(s, 4))
	q:add(F["gre.seq.link"], tvb(s, 4))
	q:add(F["gre.seq.counter"], tvb(s, 4))
	local seq = tvb(s, 4):uint()
	info = string.format("link %d #%d", bit.rshift(seq, 29), bit.band(seq, 0x1fffffff)) .. info
	return hlen, proto == 0x0800 and 4 or 6, info
end

local function tunnel_data(tvb, pinfo, tree, root)
	if not need(tvb, tree, 0, 4) then return end
	local nh = tvb(1, 1):uint()
	tree:add(F["tun.nexthdr"], tvb(1, 1))
	tree:add(F["tun.reserved"], tvb(2, 2))
	local off, version, info = 4, nil, ""
	if nh == 47 then
		local hlen
		hlen, version, info = gre(tvb, tree, 4)
		if not hlen then return end
		off = 4 + hlen
		info = "Tunnel data " .. info
	elseif nh == 4 or nh == 41 then
		version = nh == 4 and 4 or 6
		info = "Tunnel data"
		if nh == 4 then
			local p = probe(tvb, tree, 4)
			if p == "" then p = nack(tvb, tree, 4) end
			if p ~= "" then info = p end
		end
	else
		tree:add_proto_expert_info(E.nexthdr)
		return
	end
	tree:set_len(off)
	if tvb:reported_length_remaining(off) <= 0 then
		tree:add_proto_expert_info(E.short, "Tunnel data without an inner packet")
		return
	end
	pinfo.cols.info:set(info .. " ")
	pinfo.cols.info:fence()
	local d = inner(tvb, tree, off, version)
	if not d then return end
	if tvb:len() < tvb:reported_len() then
		cut_inner(tvb, pinfo, tree, off, version)
		return
	end
	d:call(tvb(off):tvb(), pinfo, root)
end

function um3n.dissector(tvb, pinfo, root)
	if tvb:len() < 1 then return 0 end
	local ty = tvb(0, 1):uint()
	pinfo.cols.protocol = "UM3N"
	local tree = root:add(um3n, tvb())
	tree:add(F.type, tvb(0, 1))
	if ty == 1 or ty == 3 then
		registration(tvb, pinfo, tree, ty)
	elseif ty == 4 then
		tunnel_data(tvb, pinfo, tree, root)
	else
		tree:add_proto_expert_info(E.type)
	end
	-- Last, and caught: mip stops with an exception where the snaplen cut the
	-- message, which must not end our tree or the columns.
	if (ty == 1 or ty == 3) and um3n.prefs.mip_tree and mip then
		local info = tostring(pinfo.cols.info)
		pcall(function() mip:call(tvb, pinfo, root) end)
		pinfo.cols.protocol = "UM3N"
		pinfo.cols.info:set(info)
	end
	return tvb:reported_len()
end

local registered = nil
local function register()
	local udp = DissectorTable.get("udp.port")
	local ports = tostring(um3n.prefs.ports)
	if registered == ports then return end
	if registered and registered ~= "" then
		udp:remove(registered, um3n)
		if mip then udp:add(registered, mip) end
	end
	if ports ~= "" then udp:add(ports, um3n) end
	registered = ports
end
-- Wireshark calls prefs_changed after the preferences are read (and changed).
um3n.prefs_changed = register
register()
