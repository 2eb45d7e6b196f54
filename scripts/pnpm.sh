#!/usr/bin/env bash
# Runs the pinned pnpm without requiring it to be installed: the global one if it is the pinned
# version, else through npx (which caches it after the first run). Only Node 20.19+ and npm are needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
  exec pnpm "$@"
fi
exec npx --yes "pnpm@$want" "$@"
