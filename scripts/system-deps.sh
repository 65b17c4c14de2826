#!/usr/bin/env bash
# Installs the real servers and tools the integration tests use, where they are missing.
# Runs as part of `make test`; safe to run again (does nothing when all is present).
set -euo pipefail

need=()
# (packages are added here as the integration tests that need them arrive)
# Evidence: a real ClickHouse (log store over HTTP) and a real Secret Service for the keyring.
command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server clickhouse-client)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring libsecret-tools)
command -v dbus-run-session >/dev/null || need+=(dbus)
# The HTML report is rendered headless to prove it shows without console errors.
command -v chromium >/dev/null || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}; install them with your package manager (tests that need them will say so)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
