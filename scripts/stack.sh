#!/usr/bin/env bash
# `npm run stack`: install, build, then the local monitoring stack (sample app, Prometheus,
# Alertmanager, a local PagerDuty/Slack receiver). Prometheus and Alertmanager come from the
# system (Debian: apt-get install prometheus prometheus-alertmanager); the script says so if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
node scripts/check-node.mjs
bash scripts/pnpm.sh install --frozen-lockfile
bash scripts/pnpm.sh exec turbo run build --filter=@immo/sample-app...
exec node apps/sample-app/dist/stack.js
