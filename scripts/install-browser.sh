#!/bin/sh
# Install Debian's headless browser for the Syncs view's browser test.
#
# The browser test (tests/e2e/browser) drives /usr/bin/chromium through
# /usr/bin/chromedriver with selenium. Both come from Debian's own packages so
# the driver always matches the browser and nothing is fetched from a CDN at
# test time. Idempotent: does nothing when the browser is already there.
# Needs root (or passwordless sudo) for apt-get; without either it explains
# what to run and exits 0, so `make venv` still works and the browser test skips.
set -eu

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-browser: chromium is missing and this user cannot run apt-get;" >&2
    echo "  run as root: apt-get install -y --no-install-recommends chromium chromium-driver" >&2
    echo "  (the browser test will be skipped until then)" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install chromium and chromedriver yourself" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
/usr/bin/chromium --version
