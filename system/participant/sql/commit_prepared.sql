-- Phase 2, commit. :gid is substituted (gids are restricted to characters that need no quoting).
COMMIT PREPARED ':gid'
