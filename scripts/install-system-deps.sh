#!/usr/bin/env bash
# Installs the database servers the tests and the quickstart start for themselves,
# Go (to build the Pulumi CLI) and chromium (the dashboard test's headless browser),
# when the machine lacks them. Debian/Ubuntu only.
set -euo pipefail
need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb-install-db >/dev/null 2>&1 || [ -x /usr/bin/mariadb-install-db ] || need+=(mariadb-server)
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need+=(golang-go)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "[install-system-deps] installing: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# The packages' own services are not needed: the harness starts private servers.
$SUDO apt-get install -y -q --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >&2
