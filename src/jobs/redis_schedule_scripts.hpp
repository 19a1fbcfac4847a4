#pragma once
// The Redis store's schedule operations, each one Lua script. Layout under the prefix P:
// P..'schedule:'..name (hash: definition, paused, last_tick, last_run_at, last_job_id) and
// P..'schedules' (set of names). ARGV[1] is the prefix; kCommon and kEnqueue come first.

namespace sluice::jobs::redis_scripts {

// ARGV: p, name, definition, last_tick → 1 stored, 0 the name is taken
inline constexpr const char* kScheduleCreate = R"lua(
local s = p .. 'schedule:' .. ARGV[2]
if redis.call('EXISTS', s) == 1 then return 0 end
redis.call('HSET', s, 'definition', ARGV[3], 'paused', 0, 'last_tick', ARGV[4], 'last_run_at', 0, 'last_job_id', '')
redis.call('SADD', p .. 'schedules', ARGV[2])
return 1
)lua";

// ARGV: p, name ('' every schedule) → HGETALL of each, by name
inline constexpr const char* kScheduleRead = R"lua(
local names = {ARGV[2]}
if ARGV[2] == '' then names = redis.call('SMEMBERS', p .. 'schedules'); table.sort(names) end
local out = {}
for _, name in ipairs(names) do
  local fields = redis.call('HGETALL', p .. 'schedule:' .. name)
  if #fields > 0 then out[#out + 1] = fields end
end
return out
)lua";

// ARGV: p, name, paused (0|1), now_ms → 1, or 0 when there is no such schedule.
// Resuming moves the last tick to now: the paused time is not caught up.
inline constexpr const char* kSchedulePause = R"lua(
local s = p .. 'schedule:' .. ARGV[2]
local f = redis.call('HMGET', s, 'paused', 'last_tick')
if not f[1] then return 0 end
if ARGV[3] == '0' and f[1] == '1' then
  redis.call('HSET', s, 'last_tick', math.max(tonumber(f[2]), tonumber(ARGV[4])))
end
redis.call('HSET', s, 'paused', ARGV[3])
return 1
)lua";

// ARGV: p, name → 1 removed, 0 none
inline constexpr const char* kScheduleRemove = R"lua(
redis.call('SREM', p .. 'schedules', ARGV[2])
return redis.call('DEL', p .. 'schedule:' .. ARGV[2])
)lua";

// ARGV: p, then kEnqueue's (id .. queue, ARGV[2..12]), then name, tick → the job's id, or ''
// when the tick is not the caller's. Claim and enqueue are one script, so no node can claim a
// tick without its job, or enqueue a job for a tick another node claimed.
inline constexpr const char* kScheduleFire = R"lua(
local s = p .. 'schedule:' .. ARGV[13]
local tick = tonumber(ARGV[14])
local f = redis.call('HMGET', s, 'paused', 'last_tick')
if not f[1] or f[1] == '1' or tonumber(f[2]) >= tick then return '' end
local stored = enqueue()
redis.call('HSET', s, 'last_tick', ARGV[14], 'last_run_at', now_ms(), 'last_job_id', stored[1])
return stored[1]
)lua";

}  // namespace sluice::jobs::redis_scripts
