-- Take the leader lease if nobody holds it, and issue a new fencing token.
-- KEYS[1] lease key, KEYS[2] epoch counter
-- ARGV[1] node id, ARGV[2] lease ttl in ms
-- Output: {epoch, holder}; when someone else holds the lease, {0, holder, ms left}: the holder's "node|epoch" and
-- the lease's remaining time (PTTL), so a follower can try again as it lapses rather than a period later
local current = redis.call('GET', KEYS[1])
if current then
  return {0, current, redis.call('PTTL', KEYS[1])}
end
local epoch = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. epoch
redis.call('SET', KEYS[1], value, 'PX', tonumber(ARGV[2]))
return {epoch, value}
