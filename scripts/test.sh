#!/usr/bin/env bash
# Install everything the test suite needs, then run it.  Used as-is by .ci/run.
#  - Debian's dovecot-imapd (the suite starts a private Dovecot itself) and chromium (browser tests of the
#    review console, driven by Playwright), when missing and we are root;
#  - a virtualenv in .venv with the project and its test extras.
# PostgreSQL is expected at 127.0.0.1:5432 (trust auth, database `test`); override with MAILWORKER_TEST_PG.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: sudo apt-get install -y ${missing[*]} (their tests will be skipped)" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
