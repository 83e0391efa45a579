#!/usr/bin/env bash
# Runs test files in a copy of the repository that has nothing next to it, as a fresh clone would:
#
#   scripts/standalone-check.sh [test files…]    (default: the tests that compare with recorded reference data)
#
# The copy holds the committed files only (git ls-files) plus a symlink to this node_modules; it is built, then the
# tests run there. The copy is removed afterwards.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/snagsync-standalone-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/repo"
(cd "$repo" && git ls-files -z | xargs -0 -I{} cp --parents {} "$work/repo/")
ln -s "$repo/node_modules" "$work/repo/node_modules"
cd "$work/repo"
npm run build >/dev/null
if [ "$#" -eq 0 ]; then
  set -- test/sim/conformance.test.ts test/bugsnag/replay.test.ts test/repo/self-contained.test.ts test/repo/doc-examples.test.ts test/repo/doc-links.test.ts
fi
npx vitest run "$@"
