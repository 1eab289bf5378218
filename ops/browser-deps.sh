#!/usr/bin/env bash
# The browser tests (tests/browser) drive Debian's Chromium through Debian's ChromeDriver, and need a Korean
# font so that Korean labels render. Installs them with apt-get when missing (CI runs as root); a test tool's
# own browser download does not work on the project's machines, so none is used.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-nanum)

have_all() {
    [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || return 1
    command -v fc-list >/dev/null || return 1
    [[ -n "$(fc-list :lang=ko family)" ]]
}

if have_all; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "browser tests need ${PACKAGES[*]} (Debian packages), and installing them needs root:" >&2
    echo "    sudo apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
fi
echo "installing ${PACKAGES[*]} for the browser tests"
export DEBIAN_FRONTEND=noninteractive
# Another apt-get on the machine holds the dpkg lock for a while: wait for it instead of failing.
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${PACKAGES[@]}"
have_all || { echo "chromium, chromedriver or a Korean font is still missing" >&2; exit 1; }
