-- ANALYZE samples every column; participant_txn is only ever read by txn_id (its primary key), so the statistics
-- of its wide columns buy the planner nothing and cost autovacuum's ANALYZE 40-65% of its time (62 against 22-38
-- ms at 26,000-29,000 rows here). Measured in docs/system.md, "Performance", sixth session.
ALTER TABLE participant_txn
  ALTER COLUMN detail SET STATISTICS 0,
  ALTER COLUMN session_id SET STATISTICS 0;
