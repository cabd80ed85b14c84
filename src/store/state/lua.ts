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
 * Check-and-consume for a batch of requests (every consume() call of one event-loop turn), each
 * with one or more limits. Requests are applied in order, each all-or-nothing: its limits are
 * planned against the current state and written only if every one admits, before the next
 * request is looked at. The script is atomic, so the batch is exact as a whole.
 *
 * The limits' numbers are sent once per batch (a route's requests share them): ARGV[1] is the
 * number of limit specs S, then six per spec: algorithm, limit, windowMs, burst, cost,
 * maxDelayMs. Then per request: now override in ms or '', its number of limits n, and n spec
 * numbers (1-based). KEYS: the limits' keys, request after request. Returns a flat array, per
 * request: 1 and then, per limit, allowed (0/1), remaining, resetMs, retryAfterMs, delayMs; or 0
 * and an error message when that request failed (a Redis error on one of its keys), which leaves
 * the other requests unaffected.
 */
export const CONSUME_SCRIPT = `${NUMBERS}
local floor, max = math.floor, math.max
local function refusal(remaining, reset, retry)
  return {0, remaining, ceilms(max(0, reset)), max(1, ceilms(retry)), 0}
end

-- Redis TIME once per batch, and only if some request uses the server clock.
local serverNow
local function serverClock()
  if not serverNow then
    local t = redis.call('TIME')
    serverNow = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  end
  return serverNow
end

-- The limit specs, parsed once per batch.
local specs = {}
for i = 1, tonumber(ARGV[1]) do
  local b = 2 + (i - 1) * 6
  specs[i] = {ARGV[b], tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])}
end

-- One request: n limits, keys from KEYS[k0], spec numbers from ARGV[a0]. Appends 5 numbers per limit.
local function consume(now, k0, a0, n, out)
  local admitted = true
  local results, idles, writes = {}, {}, {}
  for i = 1, n do
    local spec = specs[tonumber(ARGV[a0 + i - 1])]
    local algo, limit, window, burst, cost, maxDelay = spec[1], spec[2], spec[3], spec[4], spec[5], spec[6]
    local key = KEYS[k0 + i - 1]
    if algo == 'gcra' then
      local interval = window / limit
      local capacity = interval * burst
      local tat = now
      local stored = redis.call('GET', key)
      if stored then tat = max(tonumber(stored), now) end
      local remainingNow = max(0, floor((capacity - (tat - now)) / interval + EPS))
      if cost > burst then
        results[i] = refusal(remainingNow, tat - now, window)
        admitted = false
      else
        local newTat = tat + interval * cost
        local wait = max(0, newTat - capacity - now)
        if wait > maxDelay + EPS then
          results[i] = refusal(remainingNow, tat - now, wait - maxDelay)
          admitted = false
        else
          local remaining = max(0, floor((capacity - (newTat - now)) / interval + EPS))
          local ttl = ceilms(newTat - now)
          results[i] = {1, remaining, ttl, 0, ceilms(wait)}
          idles[i] = {1, remainingNow, ceilms(tat - now), 0, 0}
          writes[i] = {'g', newTat, ttl}
        end
      end
    else
      redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - window))
      local count = redis.call('ZCARD', key)
      local newest = nil
      if count > 0 then newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2]) end
      local resetNow = 0
      if newest then resetNow = newest + window - now end
      if cost > limit then
        results[i] = refusal(max(0, limit - count), resetNow, window)
        admitted = false
      else
        local wait = 0
        if count + cost > limit then
          local idx = count + cost - limit - 1
          local freeing = tonumber(redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')[2])
          wait = max(0, freeing + window - now)
        end
        if wait > maxDelay + EPS then
          results[i] = refusal(max(0, limit - count), resetNow, wait - maxDelay)
          admitted = false
        else
          local at = now + wait
          local lastAfter = at
          if newest and newest > at then lastAfter = newest end
          local ttl = ceilms(lastAfter + window - now)
          results[i] = {1, max(0, limit - count - cost), ttl, 0, ceilms(wait)}
          idles[i] = {1, max(0, limit - count), ceilms(max(0, resetNow)), 0, 0}
          writes[i] = {'z', at, ttl, count, cost}
        end
      end
    end
  end
  local chosen = results
  if admitted then
    -- State outlives its useful life by a second: harmless (a stale TAT or entry reads as empty)
    -- and it keeps callers whose nowMs runs ahead of the server clock (tests) consistent.
    for i = 1, n do
      local w = writes[i]
      local key = KEYS[k0 + i - 1]
      if w[1] == 'g' then
        redis.call('SET', key, fmt(w[2]), 'PX', w[3] + 1000)
      else
        -- Members must be unique: (now, position) is, since a same-now call sees this one's entries.
        for j = 1, w[5] do
          redis.call('ZADD', key, fmt(w[2]), fmt(now) .. ':' .. (w[4] + j))
        end
        redis.call('PEXPIRE', key, w[3] + 1000)
      end
    end
  else
    -- Refused: nothing is consumed, so the admitting limits report their unchanged state.
    chosen = idles
    for i = 1, n do
      if results[i][1] == 0 then idles[i] = results[i] end
    end
  end
  for i = 1, n do
    local c = chosen[i]
    for j = 1, 5 do out[#out + 1] = c[j] end
  end
end

local out = {}
local a = 2 + #specs * 6
local k = 1
while a <= #ARGV do
  local override = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  local now
  if override ~= '' then now = tonumber(override) else now = serverClock() end
  local mark = #out
  out[mark + 1] = 1
  local ok, err = pcall(consume, now, k, a + 2, n, out)
  if not ok then
    for i = #out, mark + 1, -1 do out[i] = nil end
    out[mark + 1] = 0
    if type(err) == 'table' then err = err.err end
    out[mark + 2] = tostring(err)
  end
  a = a + 2 + n
  k = k + n
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
