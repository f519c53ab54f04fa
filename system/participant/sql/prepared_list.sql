-- This participant's prepared transactions, oldest first, with their age by the database clock, and how long ago
-- each was pre-committed (3PC; null when it was not). $1 gid prefix (`<node>:`), $2 row limit
SELECT substr(x.gid, length($1) + 1) AS txn_id,
       (extract(epoch FROM now() - x.prepared) * 1000)::float8 AS age_ms,
       (extract(epoch FROM now() - p.recorded_at) * 1000)::float8 AS precommit_age_ms
FROM pg_prepared_xacts x
LEFT JOIN participant_precommit p ON p.txn_id = substr(x.gid, length($1) + 1)
WHERE x.database = current_database() AND starts_with(x.gid, $1)
ORDER BY x.prepared
LIMIT $2
