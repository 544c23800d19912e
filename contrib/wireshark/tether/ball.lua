-- The ball record of `tether balls` (docs/PROTOCOL.md, "Ball ring"): one
-- 40-byte record per length-framed message, `!2sBBIQfffffBBBx`.

local M = {}

-- Version 2: a ball is the receiver's after ack (held) and commit (yours);
-- abort takes it back, done confirms either, hello opens a link.
local KINDS = { [1] = "ball", [2] = "ack", [3] = "commit", [4] = "abort", [5] = "done", [6] = "hello" }

M.fields = {
    magic = ProtoField.string("tether.ball.magic", "Magic"),
    version = ProtoField.uint8("tether.ball.version", "Version"),
    kind = ProtoField.uint8("tether.ball.kind", "Kind", base.DEC, KINDS),
    sender = ProtoField.uint32("tether.ball.sender", "Sender peer id", base.DEC_HEX),
    ball = ProtoField.uint64("tether.ball.id", "Ball id", base.HEX),
    x = ProtoField.float("tether.ball.x", "x (screen heights past the edge)"),
    y = ProtoField.float("tether.ball.y", "y (fraction of the screen height)"),
    vx = ProtoField.float("tether.ball.vx", "vx (heights/s, + is right)"),
    vy = ProtoField.float("tether.ball.vy", "vy (heights/s, + is up)"),
    radius = ProtoField.float("tether.ball.radius", "Radius (screen heights)"),
    r = ProtoField.uint8("tether.ball.r", "Red"),
    g = ProtoField.uint8("tether.ball.g", "Green"),
    b = ProtoField.uint8("tether.ball.b", "Blue"),
    pad = ProtoField.bytes("tether.ball.pad", "Pad"),
}

M.expert = ProtoExpert.new("tether.ball.bad", "not a ball record (the receiver closes the link)",
    expert.group.PROTOCOL, expert.severity.WARN)

local LAYOUT = { { "magic", 0, 2 }, { "version", 2, 1 }, { "kind", 3, 1 }, { "sender", 4, 4 }, { "ball", 8, 8 },
                 { "x", 16, 4 }, { "y", 20, 4 }, { "vx", 24, 4 }, { "vy", 28, 4 }, { "radius", 32, 4 },
                 { "r", 36, 1 }, { "g", 37, 1 }, { "b", 38, 1 }, { "pad", 39, 1 } }

local function g(v) return string.format("%.4g", v) end

-- Dissects the len-byte message at offset of tvb into tree; returns a label.
function M.dissect(tvb, offset, len, tree)
    if len ~= 40 or tvb(offset, 2):string() ~= "TB" then
        tree:add_proto_expert_info(M.expert, string.format("not a ball record: %d bytes%s", len,
            len >= 2 and tvb(offset, 2):string() ~= "TB" and ", no TB magic" or ""))
        return nil
    end
    for _, l in ipairs(LAYOUT) do tree:add(M.fields[l[1]], tvb(offset + l[2], l[3])) end
    local kind, version = tvb(offset + 3, 1):uint(), tvb(offset + 2, 1):uint()
    if version ~= 2 or not KINDS[kind] then
        tree:add_proto_expert_info(M.expert, string.format("ball record version %d kind %d, this dissector knows 2 and 1 to 6",
            version, kind))
    end
    local id = tvb(offset + 8, 8):uint64():tohex()
    local from = tvb(offset + 4, 4):uint()
    if kind == 6 then return string.format("ball ring hello from peer %d", from) end
    if kind ~= 1 then return string.format("ball %s of ball 0x%s from peer %d", KINDS[kind] or "?", id, from) end
    local f = function(o) return g(tvb(offset + o, 4):float()) end
    return string.format("ball handoff 0x%s from peer %d: x=%s y=%s vx=%s vy=%s radius=%s rgb(%d,%d,%d)",
        id, from, f(16), f(20), f(24), f(28), f(32),
        tvb(offset + 36, 1):uint(), tvb(offset + 37, 1):uint(), tvb(offset + 38, 1):uint())
end

return M
