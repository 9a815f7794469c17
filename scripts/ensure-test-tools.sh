#!/bin/sh
# Make sure the tests can run the programs they need: run by `make test` and `make test-slow`
# before pytest.
#
#   * Chromium and chromedriver, for the browser tests (tests/browser_check.py): the programs
#     named by CHROMIUM and CHROMEDRIVER (default: chromium and chromedriver, found on PATH;
#     a path works too); Debian's packages chromium and chromium-driver.
#   * pdflatex with the booktabs package, which compiles every LaTeX table of the report
#     (tests/test_latex_tables.py); Debian's packages texlive-latex-base and
#     texlive-latex-recommended.
#
# When one is missing:
#   * as root (as CI runs), installs the Debian packages with apt-get;
#   * otherwise, names the packages to install and exits with status 1.
set -eu

chromium=${CHROMIUM:-chromium}
chromedriver=${CHROMEDRIVER:-chromedriver}

has() {
    command -v "$1" >/dev/null 2>&1
}

has_booktabs() {
    has kpsewhich && [ -n "$(kpsewhich booktabs.sty 2>/dev/null)" ]
}

# The Debian packages of the browser tests that are missing (one word each).
browser_packages() {
    packages=""
    has "$chromium" || packages="$packages chromium"
    has "$chromedriver" || packages="$packages chromium-driver"
    echo "${packages# }"
}

# The Debian packages of the LaTeX test that are missing (one word each).
latex_packages() {
    packages=""
    has pdflatex || packages="$packages texlive-latex-base"
    has_booktabs || packages="$packages texlive-latex-recommended"
    echo "${packages# }"
}

# What is missing, in words.
missing() {
    found=""
    has "$chromium" || found="$found $chromium"
    has "$chromedriver" || found="$found $chromedriver"
    has pdflatex || found="$found pdflatex"
    has_booktabs || found="$found booktabs.sty"
    echo "${found# }"
}

browser=$(browser_packages)
latex=$(latex_packages)
absent=$(missing)
if [ -z "$absent" ]; then
    exit 0
fi
packages=$(echo "$browser $latex" | sed 's/^ *//; s/ *$//')

if [ "$(id -u)" != 0 ]; then
    {
        echo "The tests need Chromium, chromedriver and pdflatex with booktabs; not found: $absent."
        echo "Install Debian's packages, then run the tests again:"
        echo "    sudo apt-get install $packages"
    } >&2
    exit 1
fi

if ! has apt-get; then
    echo "Not found: $absent; apt-get is not available to install Debian's $packages." \
        "Install them with this system's package manager." >&2
    exit 1
fi

echo "installing Debian's $packages for the tests (not found: $absent)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "$browser" ]; then
    # shellcheck disable=SC2086  # one word per package
    apt-get install -y -qq $browser >/dev/null
fi
if [ -n "$latex" ]; then
    # the LaTeX base and booktabs only: the recommended fonts and documentation are not needed
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $latex >/dev/null
fi

absent=$(missing)
if [ -n "$absent" ]; then
    echo "Installed $packages, but still not found: $absent." >&2
    exit 1
fi
