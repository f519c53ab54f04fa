-- Many intents in one statement, as intent.sql writes one; the batch is one JSON array of the calls' own objects,
-- so the record set names their (camelCase) keys. $1 the intents (jsonb), $2 check the tokens
INSERT INTO txn (txn_id, session_id, protocol, kind, state, token, node, request, idempotency_key)
SELECT r."txnId", r."sessionId", r.protocol, r.kind, 'started', r.token, r.node, r.request, r."idempotencyKey"
FROM fence, jsonb_to_recordset($1::jsonb) AS r (
  "txnId" text, "sessionId" text, protocol text, kind text, token bigint, node text, request jsonb,
  "idempotencyKey" text)
WHERE fence.id = 1 AND (fence.epoch <= r.token OR NOT $2::boolean)
FOR SHARE OF fence
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING txn_id
