#!/usr/bin/env bash
# Everything `npm run quickstart` and `npm test` need on a fresh Debian machine:
# database server binaries, node modules, the build, and the Pulumi CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
if [ ! -d node_modules/@pulumi/pulumi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
bash scripts/ensure-pulumi.sh >/dev/null
