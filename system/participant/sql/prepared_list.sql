-- This participant's prepared transactions, oldest first, with their age by the database clock.
-- $1 gid prefix (`<node>:`), $2 row limit
SELECT substr(gid, length($1) + 1) AS txn_id,
       (extract(epoch FROM now() - prepared) * 1000)::float8 AS age_ms
FROM pg_prepared_xacts
WHERE database = current_database() AND starts_with(gid, $1)
ORDER BY prepared
LIMIT $2
