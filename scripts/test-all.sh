#!/usr/bin/env bash
# The one command that proves the project works on a fresh machine: installs what is missing, then
# formatting + lint, type-check, unit tests. `npm test` runs this; .ci/run runs `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: npm 11 locks only this platform's optional packages (e.g. Biome's native binary)
  # and `npm ci` then rejects its own lock file as out of sync.
  npm install --no-audit --no-fund
fi

bash scripts/ensure-system-deps.sh

echo '== lint + format (biome)'
npx biome check .
echo '== typecheck (tsc -b)'
npx tsc -b
echo '== hook reference is up to date'
npx tsx scripts/gen-hooks-doc.ts --check
echo '== unit tests (vitest)'
npx vitest run
echo '== end-to-end: the explorer in headless Chromium (playwright-core)'
npm run --silent test:e2e
