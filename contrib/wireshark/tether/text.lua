-- Text helpers for the tether dissector: UTF-8 validation, short labels,
-- and Python's repr of bytes and floats (so records read as Python prints
-- them). Pure Lua 5.2: no Wireshark API, so a copy loaded on its own as a
-- plugin does nothing.

local M = {}

-- Is s valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF)?
function M.is_utf8(s)
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        if c < 0x80 then
            i = i + 1
        else
            local len, lo, hi
            if c >= 0xC2 and c <= 0xDF then len, lo, hi = 2, 0x80, 0xBF
            elseif c == 0xE0 then len, lo, hi = 3, 0xA0, 0xBF
            elseif c == 0xED then len, lo, hi = 3, 0x80, 0x9F
            elseif c >= 0xE1 and c <= 0xEF then len, lo, hi = 3, 0x80, 0xBF
            elseif c == 0xF0 then len, lo, hi = 4, 0x90, 0xBF
            elseif c >= 0xF1 and c <= 0xF3 then len, lo, hi = 4, 0x80, 0xBF
            elseif c == 0xF4 then len, lo, hi = 4, 0x80, 0x8F
            else return false end
            if i + len - 1 > n then return false end
            local c2 = s:byte(i + 1)
            if c2 < lo or c2 > hi then return false end
            for k = i + 2, i + len - 1 do
                local ck = s:byte(k)
                if ck < 0x80 or ck > 0xBF then return false end
            end
            i = i + len
        end
    end
    return true
end

-- Is s text as `tether listen` judges it: UTF-8 with no control
-- characters but tab, newline and carriage return (C0, DEL, C1)?
function M.is_text(s)
    if s:find("[%z\1-\8\11\12\14-\31\127]") or s:find("\194[\128-\159]") then return false end
    return M.is_utf8(s)
end

-- Cuts s to at most max bytes on a UTF-8 character boundary.
local function cut_utf8(s, max)
    if #s <= max then return s end
    local e = max
    while e > 0 and s:byte(e + 1) and s:byte(e + 1) >= 0x80 and s:byte(e + 1) < 0xC0 do
        e = e - 1
    end
    return s:sub(1, e)
end

-- A one-line label for text: control characters escaped, at most max bytes.
function M.label_text(s, max)
    local shown = cut_utf8(s, max)
    local esc = shown:gsub("[%c\\\"]", function(ch)
        local map = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\\"] = "\\\\", ['"'] = '\\"' }
        return map[ch] or string.format("\\x%02x", ch:byte())
    end)
    local more = #s - #shown
    return '"' .. esc .. '"' .. (more > 0 and string.format(" … +%d B", more) or "")
end

-- Hex with spaces, at most max bytes shown.
function M.label_hex(s, max)
    local shown = s:sub(1, max)
    local hex = shown:gsub(".", function(ch) return string.format("%02x ", ch:byte()) end)
    hex = hex:sub(1, -2)
    local more = #s - #shown
    return hex .. (more > 0 and string.format(" … +%d B", more) or "")
end

-- Python's repr of a bytes object: b'...', quotes chosen as Python does.
function M.py_bytes(s)
    local q = "'"
    if s:find("'", 1, true) and not s:find('"', 1, true) then q = '"' end
    local out = s:gsub(".", function(ch)
        local b = ch:byte()
        if ch == "\\" then return "\\\\"
        elseif ch == q then return "\\" .. q
        elseif ch == "\t" then return "\\t"
        elseif ch == "\n" then return "\\n"
        elseif ch == "\r" then return "\\r"
        elseif b < 0x20 or b >= 0x7f then return string.format("\\x%02x", b)
        end
        return ch
    end)
    return "b" .. q .. out .. q
end

-- Python's repr of a float: the shortest digits that read back as the same
-- double, in fixed notation for exponents -4..15 and scientific otherwise.
function M.py_float(v)
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    if v == 0 then return (1 / v < 0) and "-0.0" or "0.0" end
    local s
    for p = 0, 16 do
        s = string.format("%." .. p .. "e", v)
        if tonumber(s) == v then break end
    end
    local sign, int, frac, exp = s:match("^(-?)(%d)%.?(%d*)e([-+]%d+)$")
    local digits = (int .. frac):gsub("0+$", "")
    if digits == "" then digits = "0" end
    local e = tonumber(exp)
    if e >= -4 and e < 16 then
        if e < 0 then
            return sign .. "0." .. string.rep("0", -e - 1) .. digits
        end
        if #digits <= e + 1 then
            return sign .. digits .. string.rep("0", e + 1 - #digits) .. ".0"
        end
        return sign .. digits:sub(1, e + 1) .. "." .. digits:sub(e + 2)
    end
    local mant = digits:sub(1, 1) .. (#digits > 1 and ("." .. digits:sub(2)) or "")
    return string.format("%s%se%s%02d", sign, mant, e < 0 and "-" or "+", math.abs(e))
end

return M
