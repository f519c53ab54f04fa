-- Append transactions' outcomes to the event stream, in the order given, each at most once (per txn id), with a
-- per-session sequence number. One call carries a relay pass's events: one round trip, and since a script runs
-- alone and in order, the events that land are always a prefix of the batch, whatever stops it.
-- KEYS[1] stream, KEYS[2] fence, KEYS[3] hash txnId -> entry id, KEYS[4] hash sessionId -> last sequence
-- ARGV[1] the appender's token, ARGV[2] max stream length (approximate trim; 0 keeps all), ARGV[3] '1': a
-- sequence per session ('0' only for the planted bug unordered-events: one sequence for all), then four per event:
-- txnId, sessionId, outcome, decision timestamp (ms)
-- Output: {1, id...}: each event's entry id (for one appended before, that entry's id); {-1, highest}: stale token,
-- nothing appended
local token = tonumber(ARGV[1])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
if token < highest then
  return {-1, highest}
end
if token > highest then
  redis.call('SET', KEYS[2], token)
end
local trim = tonumber(ARGV[2]) > 0
local out = {1}
for i = 4, #ARGV, 4 do
  local txnId, sessionId = ARGV[i], ARGV[i + 1]
  local id = redis.call('HGET', KEYS[3], txnId)
  if not id then
    local seq = redis.call('HINCRBY', KEYS[4], ARGV[3] == '1' and sessionId or '*', 1)
    local args = {KEYS[1]}
    if trim then
      table.insert(args, 'MAXLEN')
      table.insert(args, '~')
      table.insert(args, ARGV[2])
    end
    table.insert(args, '*')
    for _, v in ipairs({'sessionId', sessionId, 'txnId', txnId, 'outcome', ARGV[i + 2], 'timestamp', ARGV[i + 3],
                        'seq', seq, 'token', ARGV[1]}) do
      table.insert(args, v)
    end
    id = redis.call('XADD', unpack(args))
    redis.call('HSET', KEYS[3], txnId, id)
  end
  table.insert(out, id)
end
return out
