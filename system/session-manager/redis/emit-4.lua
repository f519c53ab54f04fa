-- Append a transaction's outcome to the event stream at most once, with a per-session sequence number.
-- KEYS[1] stream, KEYS[2] fence, KEYS[3] hash txnId -> entry id, KEYS[4] hash sessionId -> last sequence
-- ARGV[1] txnId, ARGV[2] sessionId, ARGV[3] outcome, ARGV[4] decision timestamp (ms), ARGV[5] token,
-- ARGV[6] max stream length (approximate trim; 0 keeps all), ARGV[7] the sequence's scope (the session id; any
-- other value only for the planted bug unordered-events)
-- Output: {1, entry id, seq} appended; {0, entry id} already appended; {-1, highest} stale token
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then
  return {0, existing}
end
local token = tonumber(ARGV[5])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
if token < highest then
  return {-1, highest}
end
if token > highest then
  redis.call('SET', KEYS[2], token)
end
local seq = redis.call('HINCRBY', KEYS[4], ARGV[7], 1)
local args = {KEYS[1]}
if tonumber(ARGV[6]) > 0 then
  table.insert(args, 'MAXLEN')
  table.insert(args, '~')
  table.insert(args, ARGV[6])
end
table.insert(args, '*')
for _, v in ipairs({'sessionId', ARGV[2], 'txnId', ARGV[1], 'outcome', ARGV[3], 'timestamp', ARGV[4], 'seq', seq, 'token', ARGV[5]}) do
  table.insert(args, v)
end
local id = redis.call('XADD', unpack(args))
redis.call('HSET', KEYS[3], ARGV[1], id)
return {1, id, seq}
