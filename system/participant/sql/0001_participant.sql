-- The participant core's tables, shared by every participant service.

-- One row per transaction with a durable outcome. The 'committed' row is inserted inside the prepared
-- transaction, so it exists exactly when COMMIT PREPARED has happened. The 'aborted' row is the tombstone written
-- by an abort (or a no vote); its primary key is what refuses a late prepare of the same txn.
CREATE TABLE participant_txn (
  txn_id      text PRIMARY KEY,
  state       text NOT NULL CHECK (state IN ('committed', 'aborted')),
  token       bigint NOT NULL CHECK (token > 0),
  session_id  text,
  protocol    text,
  reason      text,
  detail      jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- 3PC: the durable pre-commit record, committed beside the still-prepared transaction.
CREATE TABLE participant_precommit (
  txn_id      text PRIMARY KEY,
  token       bigint NOT NULL CHECK (token > 0),
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Fencing: the highest leader token this participant has seen (exactly one row).
CREATE TABLE participant_fence (
  id            smallint PRIMARY KEY CHECK (id = 1),
  highest_token bigint NOT NULL CHECK (highest_token >= 0)
);
INSERT INTO participant_fence (id, highest_token) VALUES (1, 0);
