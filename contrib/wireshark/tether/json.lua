-- A small JSON reader for the bench control messages: one object, its
-- members in order. Nested values are kept as their source text. Pure Lua.

local M = {}

local ESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function utf8_char(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then
        return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
    end
    if cp < 0x10000 then
        return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
        0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function skip(s, i) return s:find("[^ \t\r\n]", i) or #s + 1 end

local function read_string(s, i)
    local out, j = {}, i + 1
    while true do
        local k = s:find('["\\]', j)
        if not k then return nil end
        out[#out + 1] = s:sub(j, k - 1)
        if s:sub(k, k) == '"' then return table.concat(out), k + 1 end
        local e = s:sub(k + 1, k + 1)
        if e == "u" then
            local cp = tonumber(s:sub(k + 2, k + 5), 16)
            if not cp then return nil end
            local nxt = k + 6
            local lo = s:match("^\\u(%x%x%x%x)", nxt)
            if cp >= 0xD800 and cp < 0xDC00 and lo then
                cp = 0x10000 + (cp - 0xD800) * 1024 + (tonumber(lo, 16) - 0xDC00)
                nxt = nxt + 6
            end
            out[#out + 1] = utf8_char(cp)
            j = nxt
        elseif ESC[e] then
            out[#out + 1] = ESC[e]
            j = k + 2
        else
            return nil
        end
    end
end

-- Skips one nested value (object or array) from i; returns the index after it.
local function skip_nested(s, i)
    local depth = 0
    while i <= #s do
        local c = s:sub(i, i)
        if c == '"' then
            local _, e = read_string(s, i)
            if not e then return nil end
            i = e
        else
            if c == "{" or c == "[" then depth = depth + 1 end
            if c == "}" or c == "]" then depth = depth - 1 end
            i = i + 1
            if depth == 0 then return i end
        end
    end
    return nil
end

local function read_value(s, i)
    local c = s:sub(i, i)
    if c == '"' then
        local v, e = read_string(s, i)
        return v, e, "string"
    elseif c == "{" or c == "[" then
        local e = skip_nested(s, i)
        return e and s:sub(i, e - 1), e, "nested"
    end
    local lit = s:match("^%-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if lit then return lit, i + #lit, "number" end
    for _, word in ipairs({ "true", "false", "null" }) do
        if s:sub(i, i + #word - 1) == word then return word, i + #word, word == "null" and "null" or "bool" end
    end
    return nil
end

-- Parses s as one JSON object. Returns a list of { key, value, kind }
-- (kind: string, number, bool, null, nested; first and last: the member's
-- byte positions in s, from 1), or nil if it is not one.
function M.object(s)
    local i = skip(s, 1)
    if s:sub(i, i) ~= "{" then return nil end
    local members = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return skip(s, i + 1) > #s and members or nil end
    while true do
        if s:sub(i, i) ~= '"' then return nil end
        local start = i
        local key, e = read_string(s, i)
        if not key then return nil end
        i = skip(s, e)
        if s:sub(i, i) ~= ":" then return nil end
        local v, e2, kind = read_value(s, skip(s, i + 1))
        if v == nil then return nil end
        members[#members + 1] = { key = key, value = v, kind = kind, first = start, last = e2 - 1 }
        i = skip(s, e2)
        local c = s:sub(i, i)
        if c == "}" then return skip(s, i + 1) > #s and members or nil end
        if c ~= "," then return nil end
        i = skip(s, i + 1)
    end
end

return M
