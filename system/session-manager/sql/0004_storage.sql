-- Storage settings for the log's busiest table (measured in docs/system.md, "Performance", sixth session).
-- ANALYZE samples every column. These three are never filtered on (request, session_id) or only through a unique
-- index (idempotency_key), so their statistics buy the planner nothing and cost autovacuum's ANALYZE of txn about
-- 60% of its time (128 against 44-48 ms at 26,000-29,000 rows here), in bursts that landed on requests' latency.
ALTER TABLE txn
  ALTER COLUMN request SET STATISTICS 0,
  ALTER COLUMN session_id SET STATISTICS 0,
  ALTER COLUMN idempotency_key SET STATISTICS 0;
-- Room on each page for the decision's update of a row to stay on it (a HOT update: no new index entries, so
-- nothing for vacuum to clean up in the three indexes): 76% of decisions were HOT with it, 61% without. The close
-- cannot be HOT: it takes the row out of txn_open.
ALTER TABLE txn SET (fillfactor = 80);
