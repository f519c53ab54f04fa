-- Evidence for the rig: the whole transaction log. Times as milliseconds to the microsecond, as the database keeps
-- them (a Date would cut them to the millisecond, and writes dated to the same instant cannot be ordered).
SELECT txn_id, session_id, protocol, kind, request ->> 'trafficClass' AS traffic_class, idempotency_key, node, token,
       decision, reason, decision_token, decided_by,
       extract(epoch FROM created_at) * 1000 AS created_ms,
       extract(epoch FROM decided_at) * 1000 AS decided_ms,
       extract(epoch FROM closed_at) * 1000 AS closed_ms
FROM txn
ORDER BY created_at
