-- The bench control exchange (docs/PROTOCOL.md, "Bench control exchange"):
-- each length-framed message is one JSON object whose member `type` names
-- it. Every member gets a field of its own, so `tether.bench.type ==
-- "settings"` or `tether.bench.role == "echo"` filter as expected.

-- Other modules are looked up when first used, not at load time: copied
-- into a plugins folder, this file may be loaded on its own first.
local json = setmetatable({}, { __index = function(_, k) return require("tether.json")[k] end })
local text = setmetatable({}, { __index = function(_, k) return require("tether.text")[k] end })

local M = {}

local INTS = { "protocol", "max_datagrams", "cpu", "messages", "bytes", "elapsed_ns",
               "connections", "reordered", "duplicates", "invalid" }
local STRINGS = { "version", "role", "transport", "stack", "endpoint", "message" }

local IS_INT, IS_STRING = {}, {}
for _, k in ipairs(INTS) do IS_INT[k] = true end
for _, k in ipairs(STRINGS) do IS_STRING[k] = true end

M.fields = {
    type = ProtoField.string("tether.bench.type", "Bench message type"),
    nodelay = ProtoField.bool("tether.bench.nodelay", "nodelay"),
    member = ProtoField.string("tether.bench.member", "Other member"),
}
for _, k in ipairs(INTS) do M.fields[k] = ProtoField.uint64("tether.bench." .. k, k) end
for _, k in ipairs(STRINGS) do M.fields[k] = ProtoField.string("tether.bench." .. k, k) end

M.expert = ProtoExpert.new("tether.bench.malformed", "not a bench control message (the server answers error and closes)",
    expert.group.PROTOCOL, expert.severity.WARN)

local function shown(m)
    if m.kind == "string" then return text.label_text(m.value, 48) end
    return m.value
end

-- Adds one member to tree; returns its label part.
local function add_member(tree, r, m)
    local f = M.fields[m.key]
    if m.key == "type" and m.kind == "string" then
        tree:add(f, r, m.value)
        return nil
    end
    if IS_INT[m.key] and m.kind == "number" and m.value:match("^%d+$") then
        tree:add(f, r, UInt64.new(tonumber(m.value)))
    elseif m.key == "nodelay" and m.kind == "bool" then
        tree:add(f, r, m.value == "true")
    elseif IS_STRING[m.key] and m.kind == "string" then
        tree:add(f, r, m.value)
    else
        tree:add(M.fields.member, r, m.key .. ": " .. shown(m))
    end
    return m.key .. "=" .. shown(m)
end

-- Dissects the len-byte message at offset of tvb into tree; on a `ready`,
-- calls on_ready with its endpoint. Returns a short label ("bench ready
-- endpoint=...").
function M.dissect(tvb, offset, len, tree, on_ready)
    local members = len > 0 and json.object(tvb(offset, len):raw()) or nil
    if not members then
        tree:add_proto_expert_info(M.expert)
        return "bench: not a control message"
    end
    local kind, parts = "?", {}
    for _, m in ipairs(members) do
        local r = tvb(offset + m.first - 1, m.last - m.first + 1)
        if m.key == "type" and m.kind == "string" then kind = m.value end
        parts[#parts + 1] = add_member(tree, r, m)
    end
    if kind == "?" then tree:add_proto_expert_info(M.expert) end
    for _, m in ipairs(members) do
        if kind == "ready" and m.key == "endpoint" and m.kind == "string" then on_ready(m.value) end
    end
    return "bench " .. kind .. (#parts > 0 and (" " .. table.concat(parts, " ")) or "")
end

-- Does the len-byte message at offset look like a client's hello?
function M.is_hello(tvb, offset, len)
    if len < 16 or len > 4096 then return false end
    local members = json.object(tvb(offset, len):raw())
    if not members then return false end
    local t, p
    for _, m in ipairs(members) do
        if m.key == "type" then t = m.value end
        if m.key == "protocol" then p = m.value end
    end
    return t == "hello" and p ~= nil
end

return M
