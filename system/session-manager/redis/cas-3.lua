-- Compare-and-swap of one DSM record, fenced by the leader's token. Every attempt, accepted or refused, is appended
-- to an audit list (with Redis's own clock): the evidence the checkers read about who wrote what, with which token,
-- expecting which version, when; the store's own history, judged as a register apart from its clients.
-- KEYS[1] record hash, KEYS[2] fence (highest token Redis has accepted), KEYS[3] audit list
-- ARGV[1] expected version (0: the record must not exist), ARGV[2] token, ARGV[3] record JSON,
-- ARGV[4] the writing transaction's stage, ARGV[5] writing node, ARGV[6] '1' to check the token ('0' only for the
-- planted bug no-fencing), ARGV[7] audit entries kept (0: all; a run's checkers need all, a long `rig up` bounds
-- it), ARGV[8] the writing transaction, ARGV[9] the session's status, ARGV[10] its revision, ARGV[11] '1' to
-- compare the version ('0' only for the planted bug cas-no-compare)
-- The time is Redis's, in microseconds, as a string (cjson would round a number that long).
-- Output: {1, new version} ok; {-1, highest token} stale token; {-2, current version} version mismatch
local token = tonumber(ARGV[2])
local expected = tonumber(ARGV[1])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local now = redis.call('TIME')
local function audit(outcome, written)
  redis.call('RPUSH', KEYS[3], cjson.encode({
    key = KEYS[1], expected = expected, version = written, token = token, status = ARGV[4], node = ARGV[5],
    txnId = ARGV[8], session = ARGV[9], revision = tonumber(ARGV[10]), outcome = outcome,
    atUs = now[1] .. string.format('%06d', tonumber(now[2]))
  }))
  local keep = tonumber(ARGV[7])
  if keep > 0 then
    redis.call('LTRIM', KEYS[3], -keep, -1)
  end
end
if token < highest and ARGV[6] == '1' then
  audit('stale-token', version)
  return {-1, highest}
end
if version ~= expected and ARGV[11] == '1' then
  audit('version', version)
  return {-2, version}
end
if token > highest then
  redis.call('SET', KEYS[2], token)
end
redis.call('HSET', KEYS[1], 'version', version + 1, 'token', token, 'record', ARGV[3])
audit('ok', version + 1)
return {1, version + 1}
