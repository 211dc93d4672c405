#!/usr/bin/env bash
# System packages the *tests* need (relaxgen itself needs none): Debian's
# Chromium for the offline pack page test. Installed only when missing and
# only when we are root (CI runs as root); otherwise those tests skip.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: chromium missing and cannot install it; browser tests will be skipped" >&2
  exit 0
fi
echo "setup-system: installing chromium for the pack page test" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
  || echo "setup-system: chromium install failed; browser tests will be skipped" >&2
exit 0
