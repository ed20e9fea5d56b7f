#!/usr/bin/env bash
# Builds the front end from the npm registry's packages into sdp_public/static/build/
# (ignored by git: nothing built from another project is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
out=sdp_public/static/build
rm -rf "$out" && mkdir -p "$out"
npx --no-install sass --pkg-importer=node --no-source-map --style=compressed --quiet-deps \
  sdp_public/assets/app.scss "$out/app.css"
# Arabic and Urdu: GOV.UK Frontend has no right-to-left support, so flip the whole sheet.
npx --no-install rtlcss "$out/app.css" "$out/app.rtl.css" >/dev/null
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk-frontend.min.js"
cp sdp_public/assets/app.js sdp_public/assets/exit-this-page.js "$out/"
# Content-hashed names, gzip twins and manifest.json (read by sdp_public/assets.py).
python3 scripts/fingerprint_assets.py "$out"
