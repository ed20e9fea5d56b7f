#!/usr/bin/env bash
# Known vulnerabilities in the pinned Python packages: pip-audit against PyPI's advisory
# data (the PyPA advisory database). Fails when any pinned version has a known advisory.
# Where the advisory service cannot be reached (a closed network), every package is
# listed as "could not be audited" and this says so loudly rather than pretending.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(.venv/bin/pip-audit -r requirements.txt -r requirements-test.txt --no-deps --disable-pip \
      --vulnerability-service pypi --progress-spinner off 2>&1)
rc=$?
echo "$out" | grep -v "^WARNING:pip_audit" | head -n 60
skipped=$(echo "$out" | grep -c "could not be audited" || true)
if [ "$skipped" -gt 0 ]; then
  echo "dependency audit: WARNING: $skipped packages could not be audited (advisory service unreachable?)"
fi
if [ $rc -ne 0 ]; then
  echo "dependency audit: FAILED (known vulnerabilities above)"
  exit 1
fi
echo "dependency audit: no known vulnerabilities in the packages that could be audited"
