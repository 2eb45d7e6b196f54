#!/usr/bin/env bash
# One command from a fresh clone: install, build, start the sample service. With --stack (what
# `npm run stack` runs): the sample service plus a local Prometheus, Alertmanager and receiver.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
node scripts/check-node.mjs
bash scripts/pnpm.sh install --frozen-lockfile
bash scripts/pnpm.sh exec turbo run build --filter=@immo/sample-app...
if [ "${1:-}" = "--stack" ]; then
  # Prometheus and Alertmanager come from the system; the script says how to install them.
  exec node apps/sample-app/dist/stack.js
fi
# No DATABASE_URL: dev.js starts an embedded PostgreSQL (npm package, nothing installed) first.
# Started directly, not through `pnpm start:dev`: pnpm forwards Ctrl-C to the child while the
# terminal sends it too, and a second signal means "exit at once" to @immo/health.
cd apps/sample-app
# --import: tracing (and Sentry when SENTRY_DSN is set) in place before the app imports pg.
export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-sample-app}"
exec node --import @immo/tracing/register dist/dev.js
