#!/usr/bin/env bash
# Runs the pinned pnpm without requiring it to be installed: the global one if it is the pinned
# version, else through npx (which caches it after the first run). Only Node 20.19+ and npm are needed.
set -euo pipefail
want=$(node -p "require('$(dirname "$0")/../package.json').packageManager.split('@')[1]")
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
  exec pnpm "$@"
fi
exec npx --yes "pnpm@$want" "$@"
