-- The floor's coordinator leads with token $1 (what raiseFence leaves behind when a leader starts).
UPDATE fence SET epoch = GREATEST(epoch, $1) WHERE id = 1
