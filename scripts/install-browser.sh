#!/usr/bin/env bash
# The headless browser the web page's test drives (server/src/test/java/io/tokenflow/server/WebPageBrowserTest.java):
# installs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) when either is missing,
# with apt-get as root, or through sudo when not root. Quiet and quick when both are there (scripts/test.sh calls it
# on every run). Usage: scripts/install-browser.sh
set -euo pipefail
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
(( ${#missing[@]} == 0 )) && exit 0

fail() {
  echo "install-browser: $1" >&2
  echo "install-browser: the web page's browser test needs them; install them with: apt-get install ${missing[*]}" >&2
  exit 1
}
command -v apt-get >/dev/null || fail "cannot install ${missing[*]}: no apt-get (not Debian/Ubuntu)"
if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n) # -n: never wait for a password in CI
else
  fail "cannot install ${missing[*]}: not root, and no password-less sudo"
fi

echo "install-browser: installing ${missing[*]}" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt_install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1
}
# a fresh machine's package lists may be empty or stale: update once and retry
if ! apt_install; then
  "${as_root[@]}" apt-get update -qq >>"$log" 2>&1 || true
  apt_install || { tail -20 "$log" >&2; fail "apt-get install ${missing[*]} failed"; }
fi
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || { tail -20 "$log" >&2; fail "installed, but /usr/bin/chromium or /usr/bin/chromedriver is still missing"; }
echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium), $(/usr/bin/chromedriver --version 2>/dev/null | cut -d' ' -f1-2)" >&2
