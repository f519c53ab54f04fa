-- Extend the lease only if we still hold it (compare-and-pexpire).
-- KEYS[1] lease key
-- ARGV[1] our lease value "node|epoch", ARGV[2] lease ttl in ms
-- Output: 1 renewed, 0 the lease is gone or held by another node
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
