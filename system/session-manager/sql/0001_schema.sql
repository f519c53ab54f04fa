-- The coordinator's transaction log (spec section 5) and event outbox (section 11).
-- Every write by a leader is fenced: it succeeds only while fence.epoch <= the writer's token.

CREATE TABLE IF NOT EXISTS fence (
  id int PRIMARY KEY CHECK (id = 1),
  epoch bigint NOT NULL
);
INSERT INTO fence (id, epoch) VALUES (1, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS txn (
  txn_id text PRIMARY KEY,
  session_id text NOT NULL,
  protocol text NOT NULL,
  kind text NOT NULL,
  state text NOT NULL,
  token bigint NOT NULL,
  node text NOT NULL,
  request jsonb NOT NULL,
  idempotency_key text UNIQUE,
  decision text CHECK (decision IN ('commit', 'abort')),
  reason text,
  decision_token bigint,
  decided_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  closed_at timestamptz
);
CREATE INDEX IF NOT EXISTS txn_open ON txn (created_at) WHERE closed_at IS NULL;

CREATE TABLE IF NOT EXISTS outbox (
  id bigserial PRIMARY KEY,
  txn_id text NOT NULL UNIQUE REFERENCES txn (txn_id),
  session_id text NOT NULL,
  outcome text NOT NULL,
  token bigint NOT NULL,
  decided_at_ms bigint NOT NULL,
  sent_at timestamptz,
  stream_id text
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
