-- Phase 2, abort. :gid is substituted (gids are restricted to characters that need no quoting).
ROLLBACK PREPARED ':gid'
