-- Every raise of the coordinator database's fence, with the database's own time: the evidence that, from then on,
-- no decision under a lower token may land (the single-leader checker reads it).
CREATE TABLE IF NOT EXISTS fence_log (
  epoch bigint PRIMARY KEY,
  raised_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
