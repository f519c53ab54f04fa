-- Conservation totals over committed data.
SELECT count(*)::bigint AS cells,
       COALESCE(sum(capacity), 0)::bigint AS capacity,
       COALESCE(sum(used), 0)::bigint AS used
FROM cells
