-- A new leader raises the fence to its token, and logs the raise (the evidence that from then on no write under a
-- lower token may land) when this call raised it. Returns the fence's epoch: the token, unless a newer leader's
-- is there already. $1 token
WITH raised AS (UPDATE fence SET epoch = GREATEST(epoch, $1) WHERE id = 1 RETURNING epoch),
logged AS (INSERT INTO fence_log (epoch) SELECT epoch FROM raised WHERE epoch = $1 ON CONFLICT DO NOTHING)
SELECT epoch FROM raised
