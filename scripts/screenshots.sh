#!/usr/bin/env bash
# The README's pictures (docs/screenshots/), regenerated from the browser tests: runs
# scripts/browser-test.sh (which saves them into browser/ under the target directory, honouring
# CARGO_TARGET_DIR), then copies exactly the pictures of the screenshot contract. A picture
# missing fails the run, naming it, and nothing is copied. `--no-run` copies from the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# The pictures the README shows: the helpdesk's (tests/browser/console.test.mjs) and the admin's
# (tests/browser/admin.test.mjs).
PICTURES=(search.png history.png call-overview.png call-advanced.png meeting.png
  admin-connector.png admin-buildings.png admin-audit.png phone-call.png)
SOURCE="$TARGET_DIR/browser"

if [ "${1:-}" != "--no-run" ]; then
  scripts/browser-test.sh
fi
missing=()
for picture in "${PICTURES[@]}"; do
  [ -s "$SOURCE/$picture" ] || missing+=("$picture")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "screenshots: the browser tests saved no ${missing[*]} in $SOURCE; nothing copied" >&2
  exit 1
fi
mkdir -p docs/screenshots
for picture in "${PICTURES[@]}"; do
  cp "$SOURCE/$picture" docs/screenshots/
done
echo "==> ${#PICTURES[@]} pictures copied from $SOURCE into docs/screenshots/"
