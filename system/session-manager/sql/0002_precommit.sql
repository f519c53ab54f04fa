-- 3PC (spec section 7): the coordinator's decision to pre-commit, durable before any pre-commit is sent, so a new
-- leader that finds it commits (and one that finds neither it nor a pre-committed participant aborts).
ALTER TABLE txn ADD COLUMN IF NOT EXISTS precommit_token bigint;
ALTER TABLE txn ADD COLUMN IF NOT EXISTS precommitted_at timestamptz;
