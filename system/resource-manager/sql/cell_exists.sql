SELECT 1 AS found FROM cells WHERE id = $1
