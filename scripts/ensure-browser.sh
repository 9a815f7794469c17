#!/bin/sh
# Make sure the browser tests can start Chromium: run by `make test` and `make test-slow`
# before pytest.
#
# Looks for the programs named by CHROMIUM and CHROMEDRIVER (default: chromium and
# chromedriver, found on PATH; a path works too). When one is missing:
#   * as root (as CI runs), installs Debian's chromium and chromium-driver with apt-get;
#   * otherwise, says what to install and exits with status 1.
set -eu

chromium=${CHROMIUM:-chromium}
chromedriver=${CHROMEDRIVER:-chromedriver}

missing() {
    found=""
    command -v "$chromium" >/dev/null 2>&1 || found="$found $chromium"
    command -v "$chromedriver" >/dev/null 2>&1 || found="$found $chromedriver"
    echo "${found# }"
}

absent=$(missing)
if [ -z "$absent" ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    {
        echo "The browser tests need Chromium and chromedriver; not found: $absent."
        echo "Install Debian's packages, then run the tests again:"
        echo "    sudo apt-get install chromium chromium-driver"
    } >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Not found: $absent; apt-get is not available to install Debian's chromium and" \
        "chromium-driver. Install Chromium and chromedriver with this system's package manager." >&2
    exit 1
fi

echo "installing Debian's chromium and chromium-driver for the browser tests (not found: $absent)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null

absent=$(missing)
if [ -n "$absent" ]; then
    echo "Installed chromium and chromium-driver, but still not found: $absent." >&2
    exit 1
fi
