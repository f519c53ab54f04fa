-- Room on each page (set before the seed fills them) for a hold's update of an account to stay on its page: a HOT
-- update, with no new index entry for vacuum to clean up. 84% of holds were HOT with it, 74% without (docs/system.md,
-- "Performance", sixth session).
ALTER TABLE accounts SET (fillfactor = 90);
