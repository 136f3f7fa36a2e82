#!/usr/bin/env bash
# Install everything the test suite needs, then run it.  Used as-is by .ci/run.
#  - Debian's dovecot-imapd (the suite starts a private Dovecot itself), when missing and we are root;
#  - a virtualenv in .venv with the project and its test extras.
# PostgreSQL is expected at 127.0.0.1:5432 (trust auth, database `test`); override with MAILWORKER_TEST_PG.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  else
    echo "dovecot-imapd is missing: sudo apt-get install -y dovecot-imapd (IMAP tests will be skipped)" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
