-- Conservation totals over committed data: balance + held + charged stays at the seeded total.
SELECT count(*)::bigint AS accounts,
       COALESCE(sum(balance), 0)::bigint AS balance,
       COALESCE(sum(held), 0)::bigint AS held,
       COALESCE(sum(charged), 0)::bigint AS charged
FROM accounts
