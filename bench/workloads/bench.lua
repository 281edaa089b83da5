-- Lua workload for bench/run: integer and float arithmetic, strings and
-- patterns, tables and sorting, closures and recursion. Deterministic (own
-- xorshift generator, no pairs() order in the output); prints checksums.
-- Size: arg[1], the number of rounds.

local rounds = tonumber(arg[1]) or 40

-- xorshift64 on Lua 5.4's 64-bit integers (wrapping arithmetic).
local state = 0x2545F4914F6CDD1D
local function rand()
  state = state ~ (state << 13)
  state = state ~ (state >> 7)
  state = state ~ (state << 17)
  return state
end

local function numeric(n)
  local s, x = 0.0, 0.5
  for i = 1, n do
    x = x * 3.7 * (1 - x)
    s = s + math.sqrt(i) * math.sin(i * 0.001) + x / (i % 17 + 1)
  end
  local acc = 0
  for i = 1, n do
    acc = (acc * 31 + (rand() >> 20) // (i % 13 + 1)) & 0xffffffffffff
  end
  return string.format("%.10g %d", s, acc)
end

local SYLLABLES = { "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu" }

local function word()
  local parts = {}
  for i = 1, (rand() >> 60) % 4 + 1 do
    parts[i] = SYLLABLES[(rand() >> 33) % #SYLLABLES + 1]
  end
  return table.concat(parts)
end

local function strings(n)
  local words = {}
  for i = 1, n do
    words[i] = word()
  end
  local text = table.concat(words, " ")
  local vowels = select(2, text:gsub("[aeiou]", ""))
  local upper = text:gsub("(%a)(%a*)", function(a, b) return a:upper() .. b end)
  local found = 0
  for _ in upper:gmatch("K%a+su") do
    found = found + 1
  end
  local bytes = 0
  for i = 1, #text, 7 do
    bytes = bytes + text:byte(i)
  end
  return string.format("%d %d %d %d %s", #text, vowels, found, bytes, upper:sub(1, 24)), words
end

local function tables(words)
  local count = {}
  for _, w in ipairs(words) do
    count[w] = (count[w] or 0) + 1
  end
  local keys = {}
  for k in pairs(count) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if count[a] ~= count[b] then
      return count[a] > count[b]
    end
    return a < b
  end)
  local nums = {}
  for i = 1, #words do
    nums[i] = (rand() >> 40) % 100000
  end
  table.sort(nums)
  local median = nums[#nums // 2 + 1]
  return string.format("%d %s=%d %s=%d %d", #keys, keys[1], count[keys[1]], keys[#keys],
    count[keys[#keys]], median)
end

local function fib(k)
  if k < 2 then
    return k
  end
  return fib(k - 1) + fib(k - 2)
end

local function counter()
  local c = 0
  return function(d)
    c = c + d
    return c
  end
end

for r = 1, rounds do
  local num = numeric(3000)
  local str, words = strings(2000)
  local tab = tables(words)
  local inc = counter()
  for i = 1, 1000 do
    inc(i % 7)
  end
  local line = string.format("%d | %s | %s | %s | %d %d", r, num, str, tab, fib(16), inc(0))
  if r % 10 == 0 or r == rounds then
    print(line)
  end
end
