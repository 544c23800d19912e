-- The textbook's bouncing-ball format (docs/PROTOCOL.md, "Ball ring", the
-- textbook's format): one ball per TCP connection, sent as UTF-8 text and
-- closed: eight decimal integers `x,y,change_x,change_y,radius,r,g,b`, an
-- optional trailing newline, at most 256 bytes. No tether framing at all.

local M = {}

local NAMES = { "x", "y", "change_x", "change_y", "radius", "r", "g", "b" }
M.MAX = 256

M.fields = {}
for _, n in ipairs(NAMES) do
    M.fields[n] = ProtoField.int32("tether.textbook." .. n, n)
end
M.fields.text = ProtoField.string("tether.textbook.text", "Textbook ball")

M.expert = ProtoExpert.new("tether.textbook.bad", "not a textbook ball (tether reports and drops it)",
    expert.group.PROTOCOL, expert.severity.WARN)

-- Dissects the whole connection's bytes (tvb) into tree; returns a label.
function M.dissect(tvb, tree)
    local raw = tvb:raw()
    local item = tree:add(M.fields.text, tvb(), raw)
    local body = raw:gsub("\n$", "")
    local values = {}
    for v in (body .. ","):gmatch("([^,]*),") do values[#values + 1] = v end
    local ok = #raw <= M.MAX and #values == #NAMES
    for i, v in ipairs(values) do
        if not v:match("^[-+]?%d+$") or not tonumber(v) or math.abs(tonumber(v)) > 2147483647 then ok = false end
        if ok then item:add(M.fields[NAMES[i]], tvb(0, #raw), tonumber(v)) end
    end
    if not ok then
        item:add_proto_expert_info(M.expert)
        return nil
    end
    return string.format("textbook ball x=%s y=%s change_x=%s change_y=%s radius=%s rgb(%s,%s,%s)",
        table.unpack(values))
end

return M
