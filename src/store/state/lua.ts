/**
 * Lua scripts of the Redis state store. Each runs atomically on the server and reads the server's
 * clock (`TIME`), so every gateway process sharing one Redis agrees on "now" and on the count.
 * The limit arithmetic mirrors `limits.ts` operation for operation (both are IEEE doubles), and
 * the conformance suite checks that both stores give the same answers.
 */

/** Milliseconds since the epoch from Redis `TIME`, or the caller's override (tests). */
const NOW = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local EPS = 1e-6
local function ceilms(x)
  local v = math.ceil(x - EPS)
  if v < 0 then v = 0 end
  return v
end
local function fmt(x) return string.format('%.17g', x) end
`

/**
 * Multi-limit check-and-consume. KEYS: one per limit. ARGV[1]: now override in ms or ''; then six
 * per limit: algorithm, limit, windowMs, burst, cost, maxDelayMs. Returns a flat array: for each
 * limit allowed (0/1), remaining, resetMs, retryAfterMs, delayMs. Nothing is written unless every
 * limit admits (all-or-nothing).
 */
export const CONSUME_SCRIPT = `${NOW}
local n = #KEYS
local admitted = true
local results, idles, writes = {}, {}, {}
local function refuse(i, limit, remaining, reset, retry)
  local r = {0, remaining, ceilms(math.max(0, reset)), math.max(1, ceilms(retry)), 0}
  results[i] = r
  idles[i] = r
  admitted = false
end
for i = 1, n do
  local b = 2 + (i - 1) * 6
  local algo = ARGV[b]
  local limit = tonumber(ARGV[b + 1])
  local window = tonumber(ARGV[b + 2])
  local burst = tonumber(ARGV[b + 3])
  local cost = tonumber(ARGV[b + 4])
  local maxDelay = tonumber(ARGV[b + 5])
  local key = KEYS[i]
  if algo == 'gcra' then
    local interval = window / limit
    local capacity = interval * burst
    local tat = now
    local stored = redis.call('GET', key)
    if stored then tat = math.max(tonumber(stored), now) end
    local remainingNow = math.max(0, math.floor((capacity - (tat - now)) / interval + EPS))
    if cost > burst then
      refuse(i, limit, remainingNow, tat - now, window)
    else
      local newTat = tat + interval * cost
      local wait = math.max(0, newTat - capacity - now)
      if wait > maxDelay + EPS then
        refuse(i, limit, remainingNow, tat - now, wait - maxDelay)
      else
        local remaining = math.max(0, math.floor((capacity - (newTat - now)) / interval + EPS))
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
      refuse(i, limit, math.max(0, limit - count), resetNow, window)
    else
      local wait = 0
      if count + cost > limit then
        local idx = count + cost - limit - 1
        local freeing = tonumber(redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')[2])
        wait = math.max(0, freeing + window - now)
      end
      if wait > maxDelay + EPS then
        refuse(i, limit, math.max(0, limit - count), resetNow, wait - maxDelay)
      else
        local at = now + wait
        local lastAfter = at
        if newest and newest > at then lastAfter = newest end
        local ttl = ceilms(lastAfter + window - now)
        results[i] = {1, math.max(0, limit - count - cost), ttl, 0, ceilms(wait)}
        idles[i] = {1, math.max(0, limit - count), ceilms(math.max(0, resetNow)), 0, 0}
        writes[i] = {'z', at, ttl, count, cost}
      end
    end
  end
end
local out = {}
local chosen = idles
if admitted then
  chosen = results
  -- State outlives its useful life by a second: harmless (a stale TAT or entry reads as empty)
  -- and it keeps callers whose nowMs runs ahead of the server clock (tests) consistent.
  for i = 1, n do
    local w = writes[i]
    if w[1] == 'g' then
      redis.call('SET', KEYS[i], fmt(w[2]), 'PX', w[3] + 1000)
    else
      -- Members must be unique: (now, position) is, since a same-now call sees this one's entries.
      for j = 1, w[5] do
        redis.call('ZADD', KEYS[i], fmt(w[2]), fmt(now) .. ':' .. (w[4] + j))
      end
      redis.call('PEXPIRE', KEYS[i], w[3] + 1000)
    end
  end
end
for i = 1, n do
  for k = 1, 5 do out[#out + 1] = chosen[i][k] end
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
