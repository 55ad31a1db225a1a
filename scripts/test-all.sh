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
mkdir -p .tsbuild
npx vitest run --reporter=default --reporter=json --outputFile.json=.tsbuild/vitest-results.json
echo '== end-to-end: the explorer in headless Chromium (playwright-core)'
npm run --silent test:e2e
echo '== Storybook: story traces up to date, static build, every story rendered in headless Chromium'
npx tsx scripts/gen-story-traces.ts --check
npm run --silent test:stories
echo '== end-to-end: widgets and the iframe route in headless Chromium'
npm run --silent test:widgets

# One plain closing line for CI ("N passed, N failed"), counted from Vitest's JSON report; the end-to-end scripts
# above exit non-zero on any failed check, so reaching this line means they passed.
node -e 'const r = require("./.tsbuild/vitest-results.json"); console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)'
