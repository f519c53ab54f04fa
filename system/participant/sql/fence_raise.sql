-- Raises the stored fencing token (never lowers it) and returns the stored value. $1 token
UPDATE participant_fence SET highest_token = GREATEST(highest_token, $1) WHERE id = 1 RETURNING highest_token
