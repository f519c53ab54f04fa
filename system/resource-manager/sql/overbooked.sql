-- Cells holding more channels than they have (must never happen). $1 row limit
SELECT id FROM cells WHERE used > capacity ORDER BY id LIMIT $1
