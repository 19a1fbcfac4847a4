#pragma once
// The Redis job store's operations, each one Lua script so that it is atomic on the server.
// Layout under the prefix P: P..'job:'..id (hash), P..'ready' (zset: -priority*1e12 + seq),
// P..'delayed' (zset: run_at ms), P..'leases' (zset: lease_until ms), P..'all' (zset: seq),
// P..'idem:'..key (string → id), P..'seq' (counter). Time comes from the Redis server (TIME)
// so that leases agree across machines. ARGV[1] is always the prefix.

namespace sluice::jobs::redis_scripts {

inline constexpr const char* kCommon = R"lua(
local p = ARGV[1]
local function now_ms() local t = redis.call('TIME'); return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local function ready_score(j) return -tonumber(redis.call('HGET', j, 'priority')) * 1e12 + tonumber(redis.call('HGET', j, 'seq')) end
-- Held: the token is the job's, it runs, and its attempt has not passed its deadline (timeout).
local function holds(j, token)
  local f = redis.call('HMGET', j, 'lease_token', 'state', 'deadline')
  return f[1] == token and f[2] == 'running' and (not f[3] or now_ms() < tonumber(f[3]))
end
-- A lease may not outlast its attempt's deadline.
local function lease_until(j, now, lease_ms)
  local deadline = redis.call('HGET', j, 'deadline')
  if deadline then return math.min(now + lease_ms, tonumber(deadline)) end
  return now + lease_ms
end
)lua";

// ARGV: p, id, type, payload, priority, max_attempts, backoff_ms, timeout_ms, delay_ms, idempotency_key, owner, queue
// → {id, 1} when stored now, {id, 0} when it existed (idempotency key, or a retried call)
inline constexpr const char* kEnqueue = R"lua(
local key = ARGV[10]
if key ~= '' then
  local existing = redis.call('GET', p .. 'idem:' .. key)
  if existing then return {existing, 0} end
end
local id = ARGV[2]
local j = p .. 'job:' .. id
if redis.call('EXISTS', j) == 1 then return {id, 0} end
local now = now_ms()
local seq = redis.call('INCR', p .. 'seq')
local run_at = now + tonumber(ARGV[9])
-- Fields still at their defaults (0, '', null) are left out: fewer writes and smaller replies;
-- readers treat a missing field as its default.
redis.call('HSET', j, 'id', id, 'type', ARGV[3], 'payload', ARGV[4], 'state', 'queued', 'seq', seq,
  'priority', ARGV[5], 'attempts', 0, 'max_attempts', ARGV[6], 'backoff_ms', ARGV[7], 'timeout_ms', ARGV[8],
  'run_at', run_at, 'created_at', now, 'updated_at', now)
if key ~= '' then redis.call('HSET', j, 'idempotency_key', key) end
if ARGV[11] ~= '' then redis.call('HSET', j, 'owner', ARGV[11]) end
if ARGV[12] ~= 'default' then redis.call('HSET', j, 'queue', ARGV[12]) end
if tonumber(ARGV[9]) > 0 then redis.call('ZADD', p .. 'delayed', run_at, id)
else redis.call('ZADD', p .. 'ready', -tonumber(ARGV[5]) * 1e12 + seq, id) end
redis.call('ZADD', p .. 'all', seq, id)
if key ~= '' then redis.call('SET', p .. 'idem:' .. key, id) end
return {id, 1}
)lua";

// ARGV: p, worker, lease_ms, token prefix, max, types (one per line; '' any), queues (likewise),
// jitter (a factor in [0.5, 1.5) for the backoff of attempts that timed out)
// → the claimed jobs (HGETALL each), tokens token..i
// The worker chooses the token; P..'claim:'..token lists what was leased under it, so a call
// repeated because its reply was lost hands back the same jobs instead of leasing new ones.
// With types or queues, the first 1,000 ready jobs are looked at: a worker for some finds its
// jobs behind at most that many others (the others' workers take those).
// A lease that expired at its attempt's deadline timed out: that attempt failed, and the job
// waits out retry_delay()'s backoff (backoff · 2^(attempts-1) · jitter, at most 1 h) before
// the next; any other expired lease lost its worker, and the job is due again at once.
inline constexpr const char* kClaim = R"lua(
local claimed_under = p .. 'claim:' .. ARGV[4]
local earlier = redis.call('LRANGE', claimed_under, 0, -1)
if #earlier > 0 then
  local again = {}
  for _, id in ipairs(earlier) do again[#again + 1] = redis.call('HGETALL', p .. 'job:' .. id) end
  return again
end
local now = now_ms()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'leases', '-inf', '(' .. now)) do
  local j = p .. 'job:' .. id
  redis.call('ZREM', p .. 'leases', id)
  local f = redis.call('HMGET', j, 'attempts', 'max_attempts', 'lease_until', 'deadline', 'timeout_ms', 'backoff_ms')
  local attempts, max_attempts = tonumber(f[1]), tonumber(f[2])
  local timed_out = f[4] and tonumber(f[3]) >= tonumber(f[4])
  local why, run_at = 'lease expired: the worker stopped heartbeating', now
  if timed_out then
    why = 'timed out after ' .. f[5] .. ' ms'
    run_at = now + math.floor(math.min(tonumber(f[6]) * 2 ^ (attempts - 1) * tonumber(ARGV[8]), 3600000))
  end
  if attempts >= max_attempts then
    redis.call('HSET', j, 'state', 'failed', 'last_error', why, 'lease_token', '', 'finished_at', now, 'updated_at', now)
  else
    redis.call('HSET', j, 'state', 'retrying', 'last_error', why, 'lease_token', '', 'run_at', run_at, 'updated_at', now)
    if run_at > now then redis.call('ZADD', p .. 'delayed', run_at, id)
    else redis.call('ZADD', p .. 'ready', ready_score(j), id) end
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'delayed', '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', p .. 'delayed', id)
  redis.call('ZADD', p .. 'ready', ready_score(p .. 'job:' .. id), id)
end
local claimed = {}
local ids = {}
if ARGV[6] == '' and ARGV[7] == '' then
  local popped = redis.call('ZPOPMIN', p .. 'ready', tonumber(ARGV[5]))
  for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
else
  local function set_of(lines)
    if lines == '' then return nil end
    local set = {}
    for item in string.gmatch(lines, '[^\n]+') do set[item] = true end
    return set
  end
  local types, queues, max = set_of(ARGV[6]), set_of(ARGV[7]), tonumber(ARGV[5])
  local function is_wanted(id)
    local f = redis.call('HMGET', p .. 'job:' .. id, 'type', 'queue')
    return (not types or types[f[1]]) and (not queues or queues[f[2] or 'default'])
  end
  -- Pages of `max`: where every ready job is wanted (the usual case), one page does.
  local offset = 0
  while #ids < max and offset < 1000 do
    local page = redis.call('ZRANGE', p .. 'ready', offset, offset + max - 1)
    if #page == 0 then break end
    for _, id in ipairs(page) do
      if #ids < max and is_wanted(id) then ids[#ids + 1] = id end
    end
    offset = offset + #page
  end
  for _, id in ipairs(ids) do redis.call('ZREM', p .. 'ready', id) end
end
for i, id in ipairs(ids) do
  local j = p .. 'job:' .. id
  redis.call('HINCRBY', j, 'attempts', 1)
  if not redis.call('HGET', j, 'started_at') then redis.call('HSET', j, 'started_at', now) end
  local deadline = now + math.max(1, tonumber(redis.call('HGET', j, 'timeout_ms')))
  local until_ms = math.min(now + tonumber(ARGV[3]), deadline)
  redis.call('HSET', j, 'state', 'running', 'worker', ARGV[2], 'lease_token', ARGV[4] .. i, 'lease_ms', ARGV[3],
    'lease_until', until_ms, 'deadline', deadline, 'updated_at', now)
  redis.call('ZADD', p .. 'leases', until_ms, id)
  redis.call('RPUSH', claimed_under, id)
  claimed[#claimed + 1] = redis.call('HGETALL', j)
end
if #claimed > 0 then redis.call('PEXPIRE', claimed_under, tonumber(ARGV[3])) end
return claimed
)lua";

// ARGV: p, id, token, lease_ms → cancel_requested (0/1), or -1 when the lease is lost
inline constexpr const char* kHeartbeat = R"lua(
local j = p .. 'job:' .. ARGV[2]
if not holds(j, ARGV[3]) then return -1 end
local now = now_ms()
local until_ms = lease_until(j, now, tonumber(ARGV[4]))
redis.call('HSET', j, 'lease_until', until_ms, 'updated_at', now)
redis.call('ZADD', p .. 'leases', until_ms, ARGV[2])
return tonumber(redis.call('HGET', j, 'cancel_requested') or 0)
)lua";

// ARGV: p, id, token, fraction, message → 1 or 0
inline constexpr const char* kProgress = R"lua(
local j = p .. 'job:' .. ARGV[2]
if not holds(j, ARGV[3]) then return 0 end
redis.call('HSET', j, 'progress', ARGV[4], 'progress_message', ARGV[5], 'updated_at', now_ms())
return 1
)lua";

// ARGV: p, id, token, outcome ('succeeded' | 'failed' | 'cancelled'), result or error, retry_delay_ms → 1 or 0
// A repeated call (its first reply lost) answers 0 and changes nothing: the lease is gone.
inline constexpr const char* kFinish = R"lua(
local id = ARGV[2]
local j = p .. 'job:' .. id
if not holds(j, ARGV[3]) then return 0 end
local now = now_ms()
redis.call('ZREM', p .. 'leases', id)
local outcome = ARGV[4]
if outcome == 'succeeded' then
  redis.call('HSET', j, 'state', 'succeeded', 'progress', 1, 'result', ARGV[5], 'finished_at', now, 'lease_token', '', 'updated_at', now)
elseif outcome == 'cancelled' then
  redis.call('HSET', j, 'state', 'cancelled', 'finished_at', now, 'lease_token', '', 'updated_at', now)
elseif tonumber(redis.call('HGET', j, 'attempts')) >= tonumber(redis.call('HGET', j, 'max_attempts')) then
  redis.call('HSET', j, 'state', 'failed', 'last_error', ARGV[5], 'finished_at', now, 'lease_token', '', 'updated_at', now)
else
  local run_at = now + tonumber(ARGV[6])
  redis.call('HSET', j, 'state', 'retrying', 'last_error', ARGV[5], 'run_at', run_at, 'lease_token', '', 'updated_at', now)
  redis.call('ZADD', p .. 'delayed', run_at, id)
end
return 1
)lua";

// ARGV: p, id → 'not_found' | 'cancelled' | 'requested' | 'already_finished'
inline constexpr const char* kCancel = R"lua(
local id = ARGV[2]
local j = p .. 'job:' .. id
local state = redis.call('HGET', j, 'state')
if not state then return 'not_found' end
local now = now_ms()
if state == 'succeeded' or state == 'failed' or state == 'cancelled' then return 'already_finished' end
if state == 'running' then
  redis.call('HSET', j, 'cancel_requested', 1, 'updated_at', now)
  return 'requested'
end
redis.call('ZREM', p .. 'ready', id)
redis.call('ZREM', p .. 'delayed', id)
redis.call('HSET', j, 'state', 'cancelled', 'cancel_requested', 1, 'finished_at', now, 'updated_at', now)
return 'cancelled'
)lua";

// ARGV: p, state ('' any), type ('' any), limit, offset, by_owner ('1': only owner's), owner
// → list of HGETALL replies, newest first
inline constexpr const char* kList = R"lua(
local out, skipped = {}, 0
local limit, offset = tonumber(ARGV[4]), tonumber(ARGV[5])
for _, id in ipairs(redis.call('ZREVRANGE', p .. 'all', 0, -1)) do
  local j = p .. 'job:' .. id
  local fields = redis.call('HMGET', j, 'state', 'type', 'owner')
  if (ARGV[2] == '' or fields[1] == ARGV[2]) and (ARGV[3] == '' or fields[2] == ARGV[3])
    and (ARGV[6] ~= '1' or (fields[3] or '') == ARGV[7]) then
    if skipped < offset then skipped = skipped + 1
    else
      out[#out + 1] = redis.call('HGETALL', j)
      if #out >= limit then break end
    end
  end
end
return out
)lua";

// ARGV: p → flat list state, count, state, count, ...
inline constexpr const char* kCounts = R"lua(
local counts = {}
for _, id in ipairs(redis.call('ZRANGE', p .. 'all', 0, -1)) do
  local state = redis.call('HGET', p .. 'job:' .. id, 'state')
  if state then counts[state] = (counts[state] or 0) + 1 end
end
local out = {}
for state, n in pairs(counts) do out[#out + 1] = state; out[#out + 1] = n end
return out
)lua";

}  // namespace sluice::jobs::redis_scripts
