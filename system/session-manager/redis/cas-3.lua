-- Compare-and-swap of one DSM record, fenced by the leader's token. Every accepted write is also appended to an
-- audit list (with Redis's own clock), the evidence the checkers read about who wrote what, with which token, when.
-- KEYS[1] record hash, KEYS[2] fence (highest token Redis has accepted), KEYS[3] audit list
-- ARGV[1] expected version (0: the record must not exist), ARGV[2] token, ARGV[3] record JSON,
-- ARGV[4] the record's status, ARGV[5] writing node, ARGV[6] '1' to check the token ('0' only for the planted
-- bug no-fencing), ARGV[7] audit entries kept (0: all; a run's checkers need all, a long `rig up` bounds it)
-- Output: {1, new version} ok; {-1, highest token} stale token; {-2, current version} version mismatch
local token = tonumber(ARGV[2])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
if token < highest and ARGV[6] == '1' then
  return {-1, highest}
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then
  return {-2, version}
end
if token > highest then
  redis.call('SET', KEYS[2], token)
end
redis.call('HSET', KEYS[1], 'version', version + 1, 'token', token, 'record', ARGV[3])
local now = redis.call('TIME')
redis.call('RPUSH', KEYS[3], cjson.encode({
  key = KEYS[1], version = version + 1, token = token, status = ARGV[4], node = ARGV[5],
  atMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
}))
local keep = tonumber(ARGV[7])
if keep > 0 then
  redis.call('LTRIM', KEYS[3], -keep, -1)
end
return {1, version + 1}
