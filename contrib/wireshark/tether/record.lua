-- Python `struct` formats for the tether dissector: parse a format once,
-- then decode a payload into one value per item, printed as Python prints
-- struct.unpack's tuple (see "Record format" in docs/PROTOCOL.md). Native
-- sizes and alignment are those of x86_64 Linux, as tether's are.

-- Other modules are looked up when first used, not at load time: copied
-- into a plugins folder, this file may be loaded on its own first.
local text = setmetatable({}, { __index = function(_, k) return require("tether.text")[k] end })

local M = {}

local STD = { x = 1, c = 1, b = 1, B = 1, ["?"] = 1, h = 2, H = 2, i = 4, I = 4,
              l = 4, L = 4, q = 8, Q = 8, e = 2, f = 4, d = 8, s = 1, p = 1 }
local NATIVE = { l = 8, L = 8, n = 8, N = 8, P = 8 }
local SIGNED = { b = true, h = true, i = true, l = true, q = true, n = true }

-- Parses fmt. Returns { size = n, items = { {code, count, offset, size} } }
-- or nil and an error message.
function M.parse(fmt)
    local order, native, pos = "<", true, 1
    local first = fmt:sub(1, 1)
    if first == "@" then pos = 2
    elseif first == "=" then native, pos = false, 2
    elseif first == "<" then native, pos = false, 2
    elseif first == ">" or first == "!" then order, native, pos = ">", false, 2
    end
    local items, offset = {}, 0
    while pos <= #fmt do
        local ch = fmt:sub(pos, pos)
        if ch:match("%s") then
            pos = pos + 1
        else
            local digits = fmt:match("^%d+", pos)
            local count = 1
            if digits then
                count = tonumber(digits)
                pos = pos + #digits
                ch = fmt:sub(pos, pos)
                if ch == "" then return nil, "repeat count without a code at the end of " .. fmt end
            end
            local size = (native and NATIVE[ch]) or STD[ch]
            if not size then
                return nil, string.format("bad character '%s' at position %d in format %q", ch, pos - 1, fmt)
            end
            if native and ch ~= "s" and ch ~= "p" and ch ~= "x" and size > 1 then
                offset = math.ceil(offset / size) * size
            end
            if ch == "s" or ch == "p" then
                items[#items + 1] = { code = ch, count = count, offset = offset, size = count }
                offset = offset + count
            elseif ch == "x" then
                offset = offset + count
            else
                for _ = 1, count do
                    items[#items + 1] = { code = ch, count = 1, offset = offset, size = size }
                    offset = offset + size
                end
            end
            pos = pos + 1
        end
    end
    return { size = offset, items = items, order = order }
end

-- IEEE 754 half precision from its 16 bits.
local function half(bits)
    local sign = bits >= 0x8000 and -1 or 1
    local exp = math.floor(bits / 1024) % 32
    local frac = bits % 1024
    if exp == 0 then return sign * frac * 2 ^ -24 end
    if exp == 31 then return frac == 0 and sign * math.huge or 0 / 0 end
    return sign * (1 + frac / 1024) * 2 ^ (exp - 15)
end

-- The Python repr of one item's value, read from range r.
local function value(item, r, le)
    local c = item.code
    if r == nil then return "b''" end
    if c == "s" then return text.py_bytes(r:raw()) end
    if c == "p" then
        local n = math.min(r(0, 1):uint(), item.size - 1)
        return text.py_bytes(n > 0 and r(1, n):raw() or "")
    end
    if c == "c" then return text.py_bytes(r:raw()) end
    if c == "?" then return r:uint() ~= 0 and "True" or "False" end
    if c == "e" then return text.py_float(half(le and r:le_uint() or r:uint())) end
    if c == "f" or c == "d" then return text.py_float(le and r:le_float() or r:float()) end
    if item.size == 8 then
        local v
        if SIGNED[c] then v = le and r:le_int64() or r:int64()
        else v = le and r:le_uint64() or r:uint64() end
        return tostring(v)
    end
    local v
    if SIGNED[c] then v = le and r:le_int() or r:int()
    else v = le and r:le_uint() or r:uint() end
    return string.format("%d", v)
end

-- Decodes the len payload bytes at offset of tvb with parsed layout lay.
-- Returns a list of { item, range, repr } and the tuple's repr, or nil and
-- why not.
function M.decode(lay, tvb, offset, len)
    if len ~= lay.size then
        return nil, string.format("record is %d bytes, the format needs %d", len, lay.size)
    end
    local le, out, reprs = lay.order == "<", {}, {}
    for i, item in ipairs(lay.items) do
        local sub = item.size > 0 and tvb(offset + item.offset, item.size) or nil
        local repr = value(item, sub, le)
        out[i] = { item = item, range = sub, repr = repr }
        reprs[i] = repr
    end
    local tuple = "(" .. table.concat(reprs, ", ") .. (#reprs == 1 and ",)" or ")")
    return out, tuple
end

return M
