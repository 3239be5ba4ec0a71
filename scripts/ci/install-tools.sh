#!/usr/bin/env bash
# The real tools and servers the tests judge Keel's rendered files with, from Debian's packages.
# `npm test` runs this first (package.json "pretest"); `.ci/run` runs `npm test`. It installs
# only what is missing, so on a machine that has everything it only checks and prints versions.
# - promtool and prometheus: bookworm's `prometheus` (2.42).
# - The database dump job's tests (tests/database-dumps.test.ts): PostgreSQL 15 (server and
#   client), the Pushgateway, the AWS CLI, openssl (test servers' certificates) and
#   ShellCheck (the job's script).
# - The cache's (tests/metric-names.test.ts, tests/cache-connection.test.ts): redis-server 7.0
#   with TLS and AUTH, redis_exporter 1.45, and jq (the instances' REDIS_URL).
# - From Debian trixie, binaries only (Go, linked against libc only), unpacked into
#   /usr/local/bin ahead of /usr/bin on PATH; nothing else from trixie is installed:
#   - amtool and alertmanager 0.28: Alertmanager 0.26 or newer reads `url_file` in webhook
#     receivers (the heartbeat's secret URL); bookworm ships 0.25.
#   - node_exporter 1.9, blackbox_exporter 0.26 and postgres_exporter 0.17: the versions
#     nearest to the ones Keel deploys (1.12, 0.28, 0.20). Bookworm's postgres_exporter 0.11
#     predates the `replication` collector and its pg_replication_lag_seconds, which the
#     ReplicaLag alert reads (tests/metric-names.test.ts).
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo)
else
    as_root=(refuse)
fi
apt_noninteractive() {
    if [ "${as_root[0]:-}" = refuse ]; then
        echo "The tests need Debian packages that are not installed, and installing them needs root. Run:" >&2
        echo "  sudo bash scripts/ci/install-tools.sh" >&2
        exit 1
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "$@"
}

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need promtool prometheus
need /usr/lib/postgresql/15/bin/initdb postgresql-15
need prometheus-pushgateway prometheus-pushgateway
need /usr/bin/aws awscli
need openssl openssl
need shellcheck shellcheck
need jq jq
need redis-server redis-server
need prometheus-redis-exporter prometheus-redis-exporter
if [ "${#missing[@]}" -gt 0 ]; then
    apt_noninteractive apt-get update -qq
    apt_noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# package:binary... — the trixie binaries above, each checked for its exact version.
trixie=(
    "prometheus-alertmanager=0.28:amtool:prometheus-alertmanager"
    "prometheus-node-exporter=1.9:prometheus-node-exporter"
    "prometheus-blackbox-exporter=0.26:prometheus-blackbox-exporter"
    "prometheus-postgres-exporter=0.17:prometheus-postgres-exporter"
)
stale=()
for entry in "${trixie[@]}"; do
    IFS=: read -r package_version binaries <<<"$entry"
    version=${package_version#*=}
    for binary in ${binaries//:/ }; do
        "/usr/local/bin/$binary" --version 2>&1 | grep -q "version $version\." || { stale+=("$entry"); break; }
    done
done
if [ "${#stale[@]}" -gt 0 ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    chmod 0755 "$work"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$work/sources.list"
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
    apt_trixie=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")
    apt_noninteractive apt-get "${apt_trixie[@]}" update -qq
    for entry in "${stale[@]}"; do
        IFS=: read -r package_version binaries <<<"$entry"
        package=${package_version%%=*}
        (cd "$work" && apt_noninteractive apt-get "${apt_trixie[@]}" download "$package" >/dev/null)
        dpkg-deb -x "$work/${package}"_*.deb "$work/root"
        for binary in ${binaries//:/ }; do
            apt_noninteractive install -m 0755 "$work/root/usr/bin/$binary" /usr/local/bin/
        done
    done
fi
echo "tools: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1); $(/usr/lib/postgresql/15/bin/postgres --version); $(/usr/local/bin/prometheus-postgres-exporter --version 2>&1 | head -1)"
