-- tether.lua: a Wireshark (4.0 and later) dissector for tether's wire
-- formats, as specified in docs/PROTOCOL.md: length framing (with TCP
-- reassembly: a message cut over segments, or many in one segment, each
-- shows as one message), line framing, UDP datagrams, and the sub-protocols
-- carried in them (the bench control exchange; any payload as a Python
-- struct record, by preference).
--
--   tshark -X lua_script:contrib/wireshark/tether.lua -r capture.pcapng -O tether
--   wireshark -X lua_script:contrib/wireshark/tether.lua capture.pcapng
--
-- or copy this file and the folder tether/ beside it into Wireshark's
-- personal Lua plugins folder (Help > About > Folders). The ports are
-- preferences (Edit > Preferences > Protocols > TETHER); Decode As... picks
-- tether for any other port. See "See it on the wire" in README.md.

local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
package.path = dir .. "?.lua;" .. package.path

local text = require("tether.text")
local record = require("tether.record")
local bench = require("tether.bench")
local ball = require("tether.ball")
local copy = require("tether.copy")
local textbook = require("tether.textbook")

local tether = Proto("tether", "tether")
local tether_line = Proto("tether_line", "tether, line framing")
local tether_fixed = Proto("tether_fixed", "tether, fixed framing (bare records)")
local tether_bench = Proto("tether_bench", "tether bench control exchange")
local tether_ball = Proto("tether_ball", "tether balls ring")
local tether_copy = Proto("tether_copy", "tether copy")
local tether_textbook = Proto("tether_textbook", "the textbook's bouncing balls (text, one per connection)")
local SUBPROTOS = { tether, tether_line, tether_fixed, tether_bench, tether_ball, tether_copy, tether_textbook }

local f = {
    message = ProtoField.none("tether.message", "Message"),
    index = ProtoField.uint32("tether.index", "Message number", base.DEC, nil, nil,
        "Position of the message in its direction of the connection, from 1"),
    len = ProtoField.uint32("tether.len", "Length", base.DEC, nil, nil, "Payload bytes of the message"),
    payload = ProtoField.bytes("tether.payload", "Payload", base.SPACE),
    text = ProtoField.string("tether.text", "Text", base.UNICODE,
        "The payload, when it is UTF-8 with no control characters but tab, CR and LF"),
    count = ProtoField.uint32("tether.count", "Messages in this segment"),
    record = ProtoField.string("tether.record", "Record", base.UNICODE,
        "The payload as the struct format of the preference, printed as Python prints the tuple"),
    field = ProtoField.string("tether.record.field", "Field"),
}
for k, v in pairs(bench.fields) do f["bench_" .. k] = v end
for k, v in pairs(ball.fields) do f["ball_" .. k] = v end
for k, v in pairs(copy.fields) do f["copy_" .. k] = v end
for k, v in pairs(textbook.fields) do f["textbook_" .. k] = v end
tether.fields = f

local ex = {
    too_large = ProtoExpert.new("tether.frame_too_large",
        "frame_too_large: length over the maximum frame length (tether closes the connection)",
        expert.group.PROTOCOL, expert.severity.ERROR),
    too_long = ProtoExpert.new("tether.line_too_long",
        "line_too_long: line over the maximum frame length (tether closes the connection)",
        expert.group.PROTOCOL, expert.severity.ERROR),
    after = ProtoExpert.new("tether.after_error",
        "bytes after a protocol error: the receiver has closed and delivers none of them",
        expert.group.PROTOCOL, expert.severity.WARN),
    record = ProtoExpert.new("tether.record.bad", "payload is not a record of the configured format",
        expert.group.PROTOCOL, expert.severity.WARN),
    bench = bench.expert,
    ball = ball.expert,
    copy = copy.expert,
    textbook = textbook.expert,
}
tether.experts = ex

tether.prefs.tcp_ports = Pref.range("TCP ports, length framing", "9000",
    "TCP ports decoded as tether length framing (default 9000, as in the README)", 65535)
tether.prefs.line_ports = Pref.range("TCP ports, line framing", "",
    "TCP ports decoded as tether line framing (none by default)", 65535)
tether.prefs.fixed_ports = Pref.range("TCP ports, fixed framing", "",
    "TCP ports carrying bare records of the record format's size, or of the fixed size (none by default)", 65535)
tether.prefs.fixed_size = Pref.uint("Fixed record size", 0,
    "Bytes per record on the fixed-framing ports; 0: the size of the record format")
tether.prefs.udp_ports = Pref.range("UDP ports", "9001",
    "UDP ports decoded as tether datagrams, one message each (default 9001)", 65535)
tether.prefs.bench_ports = Pref.range("Bench control TCP ports", "7878",
    "TCP ports of `tether bench --server` (default 7878, as in the README)", 65535)
tether.prefs.ball_ports = Pref.range("Ball ring TCP ports", "9100",
    "TCP ports of `tether balls` (default 9100, its default --listen port)", 65535)
tether.prefs.textbook_ports = Pref.range("Textbook ball TCP ports", "10001,10002",
    "TCP ports of the textbook's bouncing-ball programs and `tether balls --textbook` (default 10001,10002)", 65535)
tether.prefs.copy_ports = Pref.range("Copy TCP ports", "",
    "TCP ports of `tether copy` (none by default: on any tether port a connection that starts with a copy HELLO is decoded as copy)", 65535)
tether.prefs.max_frame_len = Pref.uint("Maximum frame length", 16777216,
    "A length (or line) over this is flagged as frame_too_large, as tether refuses it (default 16 MiB)")
tether.prefs.struct_format = Pref.string("Record format", "",
    "A Python struct format, e.g. '!I 2s f': every payload is also shown as a record of it")
tether.prefs.heuristic = Pref.bool("Recognise bench and copy handshakes on any port", false,
    "Try the heuristics that find a bench client's hello or a copy HELLO on any TCP port (off by default: tether frames carry no magic)")

local tcp_stream = Field.new("tcp.stream")
local udp_stream = Field.new("udp.stream")
local tcp_len = Field.new("tcp.len")
local tcp_fin = Field.new("tcp.flags.fin")

-- Message numbers per direction, and where a direction hit a protocol
-- error; keyed by frame number so a second pass numbers alike.
local state
local data_ports = {}  -- bench data sockets added from `ready`
local function reset() state = { next = {}, idx = {}, err = {}, copy = {} } end
reset()
tether.init = function()
    reset()
    for _, d in ipairs(data_ports) do d[1]:remove(d[2], tether) end
    data_ports = {}
end

local function dir_key(pinfo)
    local s = tcp_stream() or udp_stream()
    return tostring(s and s.value) .. "/" .. tostring(pinfo.src_port)
end

local function errored(pinfo, key)
    local e = state.err[key]
    return e ~= nil and pinfo.number > e
end

local function number(pinfo, key)
    local nth = tonumber(pinfo.private.tether_n or "0") + 1
    pinfo.private.tether_n = tostring(nth)
    local id = pinfo.number .. ":" .. nth
    local n = state.idx[id]
    if not n then
        n = (state.next[key] or 0) + 1
        state.next[key], state.idx[id] = n, n
    end
    return n, nth
end

-- The struct-format preference, parsed once per value.
local layout = {}
local function current_layout()
    local fmt = tether.prefs.struct_format
    if layout.fmt ~= fmt then
        layout = { fmt = fmt }
        if fmt ~= "" then layout.lay, layout.err = record.parse(fmt) end
    end
    return layout
end

local function record_decoder(tvb, off, len, tree)
    if tether.prefs.struct_format == "" then return nil end
    current_layout()
    if not layout.lay then
        tree:add_proto_expert_info(ex.record, "invalid record format: " .. layout.err)
        return nil
    end
    local items, tuple = record.decode(layout.lay, tvb, off, len)
    if not items then
        tree:add_proto_expert_info(ex.record, tuple)
        return nil
    end
    local rt = len > 0 and tree:add(f.record, tvb(off, len), tuple) or tree:add(f.record, tuple)
    for i, it in ipairs(items) do
        local code = (it.item.count ~= 1 and it.item.count or "") .. it.item.code
        local label = string.format("[%d] %s: %s", i - 1, code, it.repr)
        local item = it.range and rt:add(f.field, it.range, it.repr) or rt:add(f.field, it.repr)
        item:set_text(label)
    end
    return "record " .. tuple
end

-- The data sockets a bench server announces in `ready` carry tether
-- frames too: decode their ports as tether from then on (until the next
-- file is read).
local tcp_table = DissectorTable.get("tcp.port")
local udp_table = DissectorTable.get("udp.port")
local function ball_decoder(tvb, off, len, tree) return ball.dissect(tvb, off, len, tree) end
local function copy_decoder(tvb, off, len, tree, n) return copy.dissect(tvb, off, len, tree, n) end
local function bench_decoder(tvb, off, len, tree)
    return bench.dissect(tvb, off, len, tree, function(endpoint)
        local scheme, port = endpoint:match("^(%a+)://.+:(%d+)$")
        local tbl = (scheme == "tcp" and tcp_table) or (scheme == "udp" and udp_table) or nil
        if tbl and tbl:get_dissector(tonumber(port)) == nil then
            tbl:add(tonumber(port), tether)
            data_ports[#data_ports + 1] = { tbl, tonumber(port) }
        end
    end)
end

-- One segment's (or datagram's) worth of messages under one tree item.
local function new_seg(tvb, pinfo, tree, where)
    pinfo.cols.protocol:set("tether")
    local s = tcp_stream()
    return { root = tree, tvb = tvb, count = 0, key = dir_key(pinfo), where = where, stream = s and s.value }
end

local function seg_item(seg)
    seg.item = seg.item or seg.root:add(tether, seg.tvb())
    return seg.item
end

local function close_seg(seg)
    if not seg.item then return end
    local what = seg.count == 1 and "1 message" or (seg.count .. " messages")
    local tl = tcp_len()
    if tl and seg.tvb:len() > tl.value then
        what = what .. ", reassembled from several segments"
    else
        what = what .. " in this " .. seg.where
    end
    seg.item:append_text(", " .. what)
    seg.item:add(f.count, seg.count):set_generated()
end

-- Adds one message: `total` bytes from `first` frame it, of which `len`
-- payload bytes start at `off`; `hdr` says whether a length header is there.
local function add_message(seg, tvb, pinfo, first, total, off, len, hdr, decode)
    seg.count = seg.count + 1
    local n, nth = number(pinfo, seg.key)
    local whole = tvb(first, total)
    local mt = seg_item(seg):add(f.message, whole)
    mt:add(f.index, n):set_generated()
    if hdr then mt:add(f.len, tvb(first, 4)) else mt:add(f.len, whole, len):set_generated() end
    local raw = len > 0 and tvb(off, len):raw() or ""
    local is_text = text.is_text(raw)
    if len > 0 then
        mt:add(f.payload, tvb(off, len))
        if is_text then mt:add(f.text, tvb(off, len), raw) end
    else
        mt:add(whole, "Payload: none (an empty message)")
    end
    -- A copy HELLO is magic enough: the whole connection is copy from then on.
    if n == 1 and seg.stream and copy.is_hello(tvb, off, len) then state.copy[seg.stream] = true end
    if seg.stream and state.copy[seg.stream] then decode = copy_decoder end
    local extra = decode and decode(tvb, off, len, mt, n)
    local shown = extra or (is_text and ("text " .. text.label_text(raw, 64)) or ("payload " .. text.label_hex(raw, 24)))
    mt:set_text(string.format("Message %d: length %d, %s", n, len, shown))
    local brief = string.format("#%d %d B %s", n, len,
        extra or (is_text and text.label_text(raw, 24) or text.label_hex(raw, 8)))
    if nth == 1 then
        -- Keep TCP's ports, flags and length: the textbook reads them (PSH).
        local was = tostring(pinfo.cols.info)
        local head = was:match("^.-%d+ → %d+ %b[]") or string.format("%d → %d", pinfo.src_port, pinfo.dst_port)
        local tl = was:match("Len=%d+")
        pinfo.cols.info:set(head .. (tl and (" " .. tl) or "") .. " · " .. brief)
    elseif nth <= 4 then pinfo.cols.info:append(", " .. brief)
    elseif nth == 5 then pinfo.cols.info:append(", …") end
end

local function protocol_error(seg, pinfo, tvb, expert_field, msg)
    local it = seg_item(seg)
    it:add_proto_expert_info(expert_field, msg)
    it:append_text(", " .. msg)
    pinfo.cols.info:append(" [" .. msg .. "]")
    local e = state.err[seg.key]
    if not e or e > pinfo.number then state.err[seg.key] = pinfo.number end
end

local function after_error(seg, tvb)
    local it = seg.root:add(tether, tvb())
    it:append_text(string.format(", %d bytes after a protocol error (not delivered)", tvb:len()))
    it:add_proto_expert_info(ex.after)
end

-- Length framing over TCP: a 4-byte big-endian length, then the payload.
local function length_dissector(decode, limit)
    return function(tvb, pinfo, tree)
        local seg = new_seg(tvb, pinfo, tree, "segment")
        local max = limit or tether.prefs.max_frame_len
        local function get_len(t, p, off)
            if errored(p, seg.key) then return t:len() - off end
            local n = t(off, 4):uint()
            if n > max then return t:len() - off end
            return n + 4
        end
        local function pdu(t, p)
            if errored(p, seg.key) then
                after_error(seg, t)
                return t:len()
            end
            local n = t(0, 4):uint()
            if n > max then
                protocol_error(seg, p, t, ex.too_large,
                    string.format("frame_too_large: length %d over the maximum %d", n, max))
                return t:len()
            end
            add_message(seg, t, p, 0, 4 + n, 4, n, true, decode)
            return t:len()
        end
        dissect_tcp_pdus(tvb, tree, 4, get_len, pdu, true)
        close_seg(seg)
        return tvb:len()
    end
end

-- Line framing over TCP: each message ends with LF (0x0a), not included.
local function line_dissector(decode)
    return function(tvb, pinfo, tree)
        local seg = new_seg(tvb, pinfo, tree, "segment")
        local max, off, n = tether.prefs.max_frame_len, 0, tvb:len()
        if errored(pinfo, seg.key) then
            after_error(seg, tvb)
            return n
        end
        local raw = tvb:raw()
        while off < n do
            local lf = raw:find("\n", off + 1, true)
            local len = (lf or (n + 1)) - 1 - off
            if len > max then
                protocol_error(seg, pinfo, tvb, ex.too_long,
                    string.format("line_too_long: over the maximum %d", max))
                break
            end
            if not lf then
                pinfo.desegment_offset = off
                pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
                break
            end
            add_message(seg, tvb, pinfo, off, len + 1, off, len, false, decode)
            off = lf
        end
        close_seg(seg)
        return n
    end
end

-- UDP: the datagram is the message.
local function datagram_dissector(decode)
    return function(tvb, pinfo, tree)
        local seg = new_seg(tvb, pinfo, tree, "datagram")
        add_message(seg, tvb, pinfo, 0, tvb:len(), 0, tvb:len(), false, decode)
        close_seg(seg)
        return tvb:len()
    end
end

local length_tcp = length_dissector(record_decoder)
local datagram = datagram_dissector(record_decoder)
tether.dissector = function(tvb, pinfo, tree)
    if udp_stream() and not tcp_stream() then return datagram(tvb, pinfo, tree) end
    return length_tcp(tvb, pinfo, tree)
end
tether_line.dissector = line_dissector(record_decoder)

-- Fixed framing: bare records with no header (FIXED(N) in PROTOCOL.md), as
-- C or Python programs write struct.pack's output.
tether_fixed.dissector = function(tvb, pinfo, tree)
    local lay = current_layout().lay
    local n = tether.prefs.fixed_size > 0 and tether.prefs.fixed_size or (lay and lay.size or 0)
    local seg = new_seg(tvb, pinfo, tree, "segment")
    if n == 0 then
        seg_item(seg):add_proto_expert_info(ex.record, "fixed framing needs a record format or a fixed size")
        return tvb:len()
    end
    dissect_tcp_pdus(tvb, tree, n, function() return n end, function(t, p)
        add_message(seg, t, p, 0, n, 0, n, false, record_decoder)
        return n
    end, true)
    close_seg(seg)
    return tvb:len()
end
tether_bench.dissector = length_dissector(bench_decoder, 65536)
tether_ball.dissector = length_dissector(ball_decoder)

-- The textbook's format: the connection's bytes up to its FIN are the ball.
-- (Wireshark 4.0's Lua has no DESEGMENT_UNTIL_FIN; this is its C value.)
local UNTIL_FIN = DESEGMENT_UNTIL_FIN or 0x0ffffffe
tether_textbook.dissector = function(tvb, pinfo, tree)
    local fin = tcp_fin()
    if not (fin and fin.value) and tvb:len() <= textbook.MAX then
        pinfo.desegment_offset = 0
        pinfo.desegment_len = UNTIL_FIN
        return tvb:len()
    end
    local seg = new_seg(tvb, pinfo, tree, "connection")
    local label = textbook.dissect(tvb, seg_item(seg))
    seg.item:append_text(", " .. (label or "not a textbook ball"))
    pinfo.cols.info:append(" · " .. (label or "not a textbook ball"))
    return tvb:len()
end
tether_copy.dissector = length_dissector(copy_decoder)

-- The optional heuristics (off by default): a bench client's hello, or a
-- copy HELLO, as the first message of a connection on any port.
local function heuristic(check, proto)
    return function(tvb, pinfo, tree)
        if not tether.prefs.heuristic or tvb:len() < 13 then return false end
        local n = tvb(0, 4):uint()
        if n > 4096 or n + 4 > tvb:len() or not check(tvb, 4, n) then return false end
        pinfo.conversation = proto
        proto.dissector(tvb, pinfo, tree)
        return true
    end
end
tether_bench:register_heuristic("tcp", heuristic(bench.is_hello, tether_bench))
tether_copy:register_heuristic("tcp", heuristic(copy.is_hello, tether_copy))

-- Only the ports this file added are removed on a change, so that Decode
-- As entries (and tshark's -d) survive a preference change.
local added = {}
local function register_ports()
    for _, a in ipairs(added) do a[1]:remove(a[2], a[3]) end
    added = {}
    local function add(tbl, range, p)
        if range ~= "" then
            tbl:add(range, p)
            added[#added + 1] = { tbl, range, p }
        end
    end
    add(tcp_table, tether.prefs.tcp_ports, tether)
    add(tcp_table, tether.prefs.line_ports, tether_line)
    add(tcp_table, tether.prefs.fixed_ports, tether_fixed)
    add(tcp_table, tether.prefs.bench_ports, tether_bench)
    add(tcp_table, tether.prefs.ball_ports, tether_ball)
    add(tcp_table, tether.prefs.copy_ports, tether_copy)
    add(tcp_table, tether.prefs.textbook_ports, tether_textbook)
    add(udp_table, tether.prefs.udp_ports, tether)
end
tether.prefs_changed = register_ports
register_ports()
for _, p in ipairs(SUBPROTOS) do tcp_table:add_for_decode_as(p) end
udp_table:add_for_decode_as(tether)
