#!/usr/bin/env bash
# System packages the *tests* need (relaxgen itself needs none): Debian's
# Chromium for the offline pack page test and khal (a calendar client) for the
# reminders.ics import test. Installed only when missing and
# only when we are root (CI runs as root); otherwise those tests skip.
set -u
if command -v chromium >/dev/null 2>&1 && command -v khal >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: chromium or khal missing and cannot install them; their tests will be skipped" >&2
  exit 0
fi
echo "setup-system: installing chromium and khal for the page and calendar tests" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium khal >/dev/null) \
  || echo "setup-system: chromium/khal install failed; their tests will be skipped" >&2
exit 0
