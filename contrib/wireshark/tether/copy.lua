-- The copy protocol of `tether copy` (docs/PROTOCOL.md, "Copy protocol"):
-- each length-framed message starts with a type byte. The first three in
-- each direction are the plain handshake (HELLO, PAKE, CONFIRM); every one
-- after is a sealed record, whose body is opaque here, as it must be: only
-- type, flags, the counter (never sent: it is the record's position) and
-- the lengths can be shown.

local M = {}

local TYPES = {
    [0x01] = "HELLO", [0x02] = "PAKE", [0x03] = "CONFIRM",
    [0x10] = "MANIFEST", [0x11] = "MANIFEST_END", [0x20] = "OFFER", [0x21] = "OFFER_END",
    [0x30] = "FILE_START", [0x31] = "DATA", [0x32] = "FILE_END", [0x33] = "FILE_SKIP",
    [0x3f] = "DONE", [0x40] = "RESULT", [0x7f] = "ERROR",
}
local ROLES = { [1] = "listener", [2] = "connector" }
local AEADS = { [1] = "AES-256-GCM", [2] = "ChaCha20-Poly1305" }
local HANDSHAKE = 3  -- plain frames in each direction before the sealed records
local TAG = 16

M.fields = {
    type = ProtoField.uint8("tether.copy.type", "Copy frame type", base.HEX, TYPES),
    magic = ProtoField.string("tether.copy.magic", "Magic"),
    version = ProtoField.uint8("tether.copy.version", "Version"),
    role = ProtoField.uint8("tether.copy.role", "Role", base.DEC, ROLES),
    intent = ProtoField.uint8("tether.copy.intent", "Intent", base.HEX, nil, nil,
        "listener: 01 can serve, 02 can receive; connector: 01 sends, 02 fetches"),
    aead = ProtoField.uint8("tether.copy.aead", "AEAD", base.DEC, AEADS),
    pake = ProtoField.bytes("tether.copy.pake", "SPAKE2 message"),
    confirm = ProtoField.bytes("tether.copy.confirm", "Key confirmation (HMAC-SHA256)"),
    flags = ProtoField.uint8("tether.copy.flags", "Flags", base.HEX),
    final = ProtoField.bool("tether.copy.final", "FINAL", 8, nil, 0x01),
    counter = ProtoField.uint64("tether.copy.counter", "Record counter (the nonce; never sent)"),
    sealed_len = ProtoField.uint32("tether.copy.sealed_len", "Ciphertext length"),
    sealed = ProtoField.bytes("tether.copy.sealed", "Ciphertext (opaque)"),
    tag = ProtoField.bytes("tether.copy.tag", "AEAD tag"),
}

M.expert = ProtoExpert.new("tether.copy.bad", "not a copy frame (the peer stops with a protocol error)",
    expert.group.PROTOCOL, expert.severity.WARN)

local function hello(tvb, offset, len, tree)
    if len ~= 9 or tvb(offset + 1, 4):string() ~= "TCPY" then return nil end
    tree:add(M.fields.magic, tvb(offset + 1, 4))
    tree:add(M.fields.version, tvb(offset + 5, 1))
    tree:add(M.fields.role, tvb(offset + 6, 1))
    tree:add(M.fields.intent, tvb(offset + 7, 1))
    tree:add(M.fields.aead, tvb(offset + 8, 1))
    local role, intent = tvb(offset + 6, 1):uint(), tvb(offset + 7, 1):uint()
    return string.format("copy HELLO version %d, %s, intent %02x, %s", tvb(offset + 5, 1):uint(),
        ROLES[role] or "role ?", intent, AEADS[tvb(offset + 8, 1):uint()] or "aead ?")
end

-- The len-byte message at offset: is it a copy HELLO?
function M.is_hello(tvb, offset, len)
    return len == 9 and tvb(offset, 1):uint() == 1 and tvb(offset + 1, 4):string() == "TCPY"
end

-- Dissects the len-byte message at offset of tvb, message number n of its
-- direction, into tree; returns a label.
function M.dissect(tvb, offset, len, tree, n)
    if len < 1 then
        tree:add_proto_expert_info(M.expert, "empty copy frame")
        return nil
    end
    local t = tvb(offset, 1):uint()
    tree:add(M.fields.type, tvb(offset, 1))
    local name = TYPES[t] or string.format("type 0x%02x", t)
    if n <= HANDSHAKE then
        local label
        if t == 1 then label = hello(tvb, offset, len, tree)
        elseif t == 2 and len == 34 then
            tree:add(M.fields.pake, tvb(offset + 1, 33))
            local side = tvb(offset + 1, 1):uint()
            label = string.format("copy PAKE side %s (%s)", string.char(side), side == 0x41 and "listener" or "connector")
        elseif t == 3 and len == 33 then
            tree:add(M.fields.confirm, tvb(offset + 1, 32))
            label = "copy CONFIRM"
        end
        if not label then tree:add_proto_expert_info(M.expert, "handshake frame " .. n .. " is not HELLO, PAKE, CONFIRM") end
        return label
    end
    if len < 2 + TAG then
        tree:add_proto_expert_info(M.expert, string.format("sealed record of %d bytes, shorter than type, flags and tag", len))
        return nil
    end
    local ft = tree:add(M.fields.flags, tvb(offset + 1, 1))
    ft:add(M.fields.final, tvb(offset + 1, 1))
    tree:add(M.fields.counter, UInt64.new(n - HANDSHAKE - 1)):set_generated()
    tree:add(M.fields.sealed_len, len - 2 - TAG):set_generated()
    if len > 2 + TAG then tree:add(M.fields.sealed, tvb(offset + 2, len - 2 - TAG)) end
    tree:add(M.fields.tag, tvb(offset + len - TAG, TAG))
    local final = tvb(offset + 1, 1):uint() % 2 == 1 and " FINAL" or ""
    return string.format("copy sealed %s%s, counter %d, %d B sealed + tag", name, final, n - HANDSHAKE - 1, len - 2 - TAG)
end

return M
