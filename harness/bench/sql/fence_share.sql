-- First statement of the decision and pre-commit transactions (txlog.ts decide/precommit): the fence row, share-locked.
SELECT epoch FROM fence WHERE id = 1 FOR SHARE
