#!/usr/bin/env bash
# Installs what a fresh machine lacks to run the tests and the nightly: Redis, PostgreSQL's server binaries and Debian's
# headless Chromium, from apt. Called by .ci/run and by both workflows (.github/workflows/), so the package list is
# written once. Does nothing when all three are there.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! command -v postgres >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  missing+=(postgresql)
fi
# The report tests drive Debian's headless Chromium (playwright-core never downloads a browser).
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]} > 0)); then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "missing ${missing[*]} and no apt-get to install them with" >&2
    exit 1
  fi
fi
