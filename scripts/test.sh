#!/usr/bin/env bash
# Run shimkit's whole test suite on a fresh machine: installs what it needs, then runs pytest.
#
#   bash scripts/test.sh [pytest args...]
#
# Needs: python3 >= 3.9 with venv. As root on Debian/Ubuntu it installs the real shells and tools
# the tests drive (zsh, fish, ksh, dash, busybox, shellcheck, patchelf, mingw-w64, wine); elsewhere it
# checks for them and names what is missing. Everything else goes into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="zsh fish ksh dash busybox shellcheck patchelf mingw-w64 wine hyperfine strace"
missing=""
for tool in zsh fish ksh dash busybox shellcheck patchelf x86_64-w64-mingw32-gcc wine strace; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing system packages for:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq $APT_PACKAGES >/dev/null
  else
    echo "test.sh: missing tools:$missing (Debian packages: $APT_PACKAGES)" >&2
    exit 1
  fi
fi
if ! command -v nu >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  npm install -g --silent nushell >/dev/null 2>&1 || echo "test.sh: could not install nushell from npm" >&2
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,docs]'
# Lint gates: the code as committed must be clean (ruff's lint rules and format, mypy --strict).
.venv/bin/python -m ruff check --quiet .
.venv/bin/python -m ruff format --check --quiet .
.venv/bin/python -m mypy --strict shimkit
# The documentation site must build without a single warning (broken link, page missing from the nav …).
NO_MKDOCS_2_WARNING=1 .venv/bin/python -m mkdocs build --strict --quiet --site-dir site
exec .venv/bin/python -m pytest -n 2 "$@"
