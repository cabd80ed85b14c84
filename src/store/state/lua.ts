/**
 * Lua scripts of the Redis state store. Each runs atomically on the server and reads the server's
 * clock (`TIME`), so every gateway process sharing one Redis agrees on "now" and on the count.
 * The limit arithmetic mirrors `limits.ts` operation for operation (both are IEEE doubles), and
 * the conformance suite checks that both stores give the same answers.
 */

/** Rounding and exact number formatting shared by the scripts (mirrors limits.ts). */
const NUMBERS = `
local EPS = 1e-6
local function ceilms(x)
  local v = math.ceil(x - EPS)
  if v < 0 then v = 0 end
  return v
end
local function fmt(x) return string.format('%.17g', x) end
`

/** Milliseconds since the epoch from Redis `TIME`, or the caller's override (tests). */
const NOW = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
${NUMBERS}`

/**
 * Check-and-consume for a batch of requests (every consume() call of one flush), each with one or
 * more limits. Requests are applied in order, each all-or-nothing: its limits are planned against
 * the current state and written only if every one admits, before the next request is looked at.
 * The script is atomic, so the batch is exact as a whole.
 *
 * KEYS: the batch's distinct limit keys. ARGV[1] is the number of limit specs S (a route's
 * requests share them), then six per spec: algorithm, limit, windowMs, burst, cost, maxDelayMs.
 * Then per request: its number of limits n, negated when a now override in ms follows (tests),
 * and n references: (spec number - 1) * #KEYS + key number. Returns a flat array, per request:
 * 1 and then, per limit, allowed (0/1), remaining, resetMs, retryAfterMs, delayMs; or 0 and an
 * error message when that request failed (a Redis error on one of its keys), which leaves the
 * other requests unaffected.
 *
 * GCRA state is read once per key per batch and written once at the end (the last admitted
 * value): a hot key costs one GET and one SET per batch, not per request. The final state is the
 * one request-by-request writes would leave, since only the last SET of a key survives.
 */
export const CONSUME_SCRIPT = `${NUMBERS}
local floor, max, tonumber = math.floor, math.max, tonumber
local nkeys = #KEYS

-- Redis TIME once per batch, and only if some request uses the server clock.
local serverNow
local function serverClock()
  if not serverNow then
    local t = redis.call('TIME')
    serverNow = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  end
  return serverNow
end

-- The limit specs, parsed once per batch, with GCRA's interval and capacity (as limits.ts).
local specs = {}
for i = 1, tonumber(ARGV[1]) do
  local b = 2 + (i - 1) * 6
  local limit, window, burst = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local interval = window / limit
  specs[i] = {ARGV[b] == 'gcra', limit, window, burst, tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), interval, interval * burst}
end

-- GCRA TATs of this batch by key number (false: no state); pending[k]: PX of the last admitted one.
local tats, pending = {}, {}
local function readTat(k)
  local tat = tats[k]
  if tat == nil then
    local stored = redis.call('GET', KEYS[k])
    tat = false
    if stored then
      tat = tonumber(stored)
      if not tat then error('rate-limit state of ' .. KEYS[k] .. ' is not a number') end
    end
    tats[k] = tat
  end
  return tat
end

-- Plans one limit without writing. Returns allowed, remaining, resetMs, retryAfterMs, delayMs,
-- then (admitted only) the unchanged state's remaining and resetMs, and what commit needs.
local function plan(spec, k, now)
  local limit, window, burst, cost, maxDelay = spec[2], spec[3], spec[4], spec[5], spec[6]
  if spec[1] then
    local interval, capacity = spec[7], spec[8]
    local tat = readTat(k)
    if not tat or tat < now then tat = now end
    local remainingNow = max(0, floor((capacity - (tat - now)) / interval + EPS))
    if cost > burst then
      return false, remainingNow, ceilms(max(0, tat - now)), max(1, ceilms(window)), 0
    end
    local newTat = tat + interval * cost
    local wait = max(0, newTat - capacity - now)
    if wait > maxDelay + EPS then
      return false, remainingNow, ceilms(max(0, tat - now)), max(1, ceilms(wait - maxDelay)), 0
    end
    local remaining = max(0, floor((capacity - (newTat - now)) / interval + EPS))
    return true, remaining, ceilms(newTat - now), 0, ceilms(wait), remainingNow, ceilms(tat - now), newTat, 0
  end
  local key = KEYS[k]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - window))
  local count = redis.call('ZCARD', key)
  local newest = nil
  if count > 0 then newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2]) end
  local resetNow = 0
  if newest then resetNow = newest + window - now end
  if cost > limit then
    return false, max(0, limit - count), ceilms(max(0, resetNow)), max(1, ceilms(window)), 0
  end
  local wait = 0
  if count + cost > limit then
    local idx = count + cost - limit - 1
    local freeing = tonumber(redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')[2])
    wait = max(0, freeing + window - now)
  end
  if wait > maxDelay + EPS then
    return false, max(0, limit - count), ceilms(max(0, resetNow)), max(1, ceilms(wait - maxDelay)), 0
  end
  local at = now + wait
  local lastAfter = at
  if newest and newest > at then lastAfter = newest end
  return true, max(0, limit - count - cost), ceilms(lastAfter + window - now), 0, ceilms(wait), max(0, limit - count), ceilms(max(0, resetNow)), at, count
end

-- Consumes a planned, admitted limit. State outlives its useful life by a second: harmless (a
-- stale TAT or entry reads as empty) and it keeps callers whose nowMs runs ahead of the server
-- clock (tests) consistent.
local function commit(spec, k, now, ttl, w1, w2)
  if spec[1] then
    tats[k] = w1
    pending[k] = ttl + 1000
  else
    local key = KEYS[k]
    -- Members must be unique: (now, position) is, since a same-now call sees this one's entries.
    for j = 1, spec[5] do
      redis.call('ZADD', key, fmt(w1), fmt(now) .. ':' .. (w2 + j))
    end
    redis.call('PEXPIRE', key, ttl + 1000)
  end
end

local function ref(a)
  local r = tonumber(ARGV[a]) - 1
  local s = floor(r / nkeys)
  return specs[s + 1], r - s * nkeys + 1
end

-- One request: n limits, references from ARGV[a0]. Appends 5 numbers per limit to out.
local function consume(now, a0, n, out)
  if n == 1 then
    -- The usual route: one limit, whose verdict is the request's.
    local spec, k = ref(a0)
    local ok, remaining, reset, retry, delay, _, _, w1, w2 = plan(spec, k, now)
    if ok then commit(spec, k, now, reset, w1, w2) end
    local o = #out
    out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = ok and 1 or 0, remaining, reset, retry, delay
    return
  end
  local plans, admitted = {}, true
  for i = 1, n do
    local spec, k = ref(a0 + i - 1)
    local p = {spec, k, plan(spec, k, now)}
    if not p[3] then admitted = false end
    plans[i] = p
  end
  for i = 1, n do
    local p = plans[i]
    local o = #out
    if admitted then
      commit(p[1], p[2], now, p[5], p[10], p[11])
      out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 1, p[4], p[5], p[6], p[7]
    elseif p[3] then
      -- Refused by another limit: nothing is consumed, so this one reports its unchanged state.
      out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 1, p[8], p[9], 0, 0
    else
      out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 0, p[4], p[5], p[6], p[7]
    end
  end
end

local out = {}
local a = 2 + #specs * 6
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local now
  if n < 0 then
    n = -n
    a = a + 1
    now = tonumber(ARGV[a])
  else
    now = serverClock()
  end
  local mark = #out
  out[mark + 1] = 1
  local ok, err = pcall(consume, now, a + 1, n, out)
  if not ok then
    for i = #out, mark + 1, -1 do out[i] = nil end
    out[mark + 1] = 0
    if type(err) == 'table' then err = err.err end
    out[mark + 2] = tostring(err)
  end
  a = a + 1 + n
end

-- The GCRA writes: one SET per key, its last admitted TAT.
for k, px in pairs(pending) do
  redis.call('SET', KEYS[k], fmt(tats[k]), 'PX', px)
end
return out
`

/** Counter with a fixed-window TTL set on creation. KEYS[1]; ARGV: by, ttlMs. */
export const INCREMENT_SCRIPT = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
`

/**
 * Concurrency lease: a sorted set of lease ids scored by their expiry, so a crashed holder's slot
 * frees itself. KEYS[1]; ARGV: now override or '', max, leaseTtlMs, leaseId. Returns 1 or 0.
 */
export const ACQUIRE_SCRIPT = `${NOW}
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
if redis.call('ZCARD', key) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', key, fmt(now + tonumber(ARGV[3])), ARGV[4])
local last = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', key, math.max(1, ceilms(last - now)))
return 1
`
