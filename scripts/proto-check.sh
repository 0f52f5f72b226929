#!/usr/bin/env bash
# Checks of the gRPC contract in proto/ (npm run proto:check; run by
# scripts/test.sh, so CI runs it):
#  1. buf lint (buf.yaml): names, and a comment on every service, RPC,
#     message, field, enum, value and oneof;
#  2. buf breaking against buf.baseline.json, the contract as released: no
#     change a client built against it would notice (FILE rules: wire, JSON
#     and generated-code compatible). The baseline is a file in the repository,
#     not a git ref, so the check means the same on a branch, on main and in a
#     shallow CI clone. A deliberate break updates it in the same change
#     (npm run proto:baseline), where review sees it;
#  3. src/generated matches proto/ (scripts/proto-types.js --check).
#   bash scripts/proto-check.sh                    the checks
#   bash scripts/proto-check.sh --update-baseline  rewrite buf.baseline.json from proto/
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
if [ "${1:-}" = "--update-baseline" ]; then
  "$buf" build --exclude-source-info -o buf.baseline.json
  # One field per line, so a change to the baseline reads as a diff.
  node -e 'const fs = require("fs"); const f = "buf.baseline.json"; fs.writeFileSync(f, JSON.stringify(JSON.parse(fs.readFileSync(f, "utf8")), null, 1) + "\n");'
  echo "proto-check: buf.baseline.json rewritten from proto/"
  exit 0
fi
"$buf" lint
"$buf" breaking --against buf.baseline.json
node scripts/proto-types.js --check
echo "proto-check: buf lint, buf breaking (against buf.baseline.json) and generated types OK"
