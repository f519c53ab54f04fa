-- Take the leader lease if nobody holds it, and issue a new fencing token.
-- KEYS[1] lease key, KEYS[2] epoch counter
-- ARGV[1] node id, ARGV[2] lease ttl in ms
-- Output: {epoch, holder}; epoch 0 when someone else holds the lease (holder = "node|epoch" of the holder)
local current = redis.call('GET', KEYS[1])
if current then
  return {0, current}
end
local epoch = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. epoch
redis.call('SET', KEYS[1], value, 'PX', tonumber(ARGV[2]))
return {epoch, value}
