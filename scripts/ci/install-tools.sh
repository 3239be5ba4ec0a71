#!/usr/bin/env bash
# The real tools and servers the tests judge Keel's rendered files with, from Debian's packages:
# - promtool and prometheus: bookworm's `prometheus` (2.42).
# - The database dump job's tests (tests/database-dumps.test.ts): PostgreSQL 15 (server and
#   client), the Pushgateway, the AWS CLI, openssl (the test server's certificate) and
#   ShellCheck (the job's script).
# - amtool and alertmanager: Alertmanager 0.26 or newer, which reads `url_file` in webhook
#   receivers (the heartbeat's secret URL). Bookworm ships 0.25, so trixie's
#   `prometheus-alertmanager` (0.28) is downloaded from Debian and its two binaries (Go,
#   linked against libc only) are unpacked into /usr/local/bin, ahead of /usr/bin on PATH;
#   nothing else from trixie is installed.
set -euo pipefail
as_root=$([ "$(id -u)" -eq 0 ] || echo sudo)
apt_noninteractive() { $as_root env DEBIAN_FRONTEND=noninteractive "$@"; }

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need promtool prometheus
need /usr/lib/postgresql/15/bin/initdb postgresql-15
need prometheus-pushgateway prometheus-pushgateway
need /usr/bin/aws awscli
need openssl openssl
need shellcheck shellcheck
if [ "${#missing[@]}" -gt 0 ]; then
    apt_noninteractive apt-get update -qq
    apt_noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

amtool_minor() { amtool --version 2>&1 | sed -n 's/^amtool, version 0\.\([0-9]*\).*/\1/p'; }
if ! command -v amtool >/dev/null 2>&1 || [ "$(amtool_minor)" -lt 26 ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$work/sources.list"
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
    apt_trixie=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")
    apt_noninteractive apt-get "${apt_trixie[@]}" update -qq
    (cd "$work" && apt_noninteractive apt-get "${apt_trixie[@]}" download prometheus-alertmanager >/dev/null)
    dpkg-deb -x "$work"/prometheus-alertmanager_*.deb "$work/root"
    $as_root install -m 0755 "$work/root/usr/bin/amtool" "$work/root/usr/bin/prometheus-alertmanager" /usr/local/bin/
fi
echo "tools: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1); $(/usr/lib/postgresql/15/bin/postgres --version); $(/usr/bin/aws --version)"
