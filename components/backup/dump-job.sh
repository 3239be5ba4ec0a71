#!/bin/sh
# Keel's database dump job (components/backup/dump-job.ts), one step per container, in order:
#
#   dump     pg_dump (custom format) from the writer, checked with pg_restore --list  [postgres image]
#   upload   to S3 with SSE-KMS, a SHA-256 checksum and metadata, read back and compared [aws-cli image]
#   publish  keel_backup_last_success_timestamp_seconds to the Pushgateway              [curl image]
#
# The steps share $DUMP_WORKDIR. A step that fails exits non-zero with the reason on stderr,
# so the pod (and the Job) fails and every later step is skipped: a failed run publishes nothing.
#
# dump:    PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSSLMODE (libpq), DUMP_WORKDIR
# upload:  DUMP_BUCKET DUMP_KMS_KEY_ARN DUMP_PREFIX [DUMP_WEEKLY_PREFIX] [DUMP_MONTHLY_PREFIX]
#          DUMP_CADENCE_DAYS (1: daily, 7: weekly), DUMP_WORKDIR
# publish: PUSHGATEWAY (host:port) BACKUP_NAME DUMP_WORKDIR
set -eu

step="${1:-}"
work="${DUMP_WORKDIR:?DUMP_WORKDIR is not set}"

log() { printf '%s database-dump %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$step" "$*" >&2; }
fail() {
    log "FAILED: $*"
    exit 1
}
field() { sed -n "s/^$1=//p" "$work/manifest"; }

dump() {
    rm -f "$work/manifest" "$work/uploaded" "$work/database.dump" "$work/database.list"
    client=$(pg_dump --version | sed -n 's/^pg_dump (PostgreSQL) \([0-9]*\).*/\1/p')
    server_num=$(psql --no-psqlrc --no-password --tuples-only --no-align --command 'SHOW server_version_num') \
        || fail "cannot connect to $PGHOST:${PGPORT:-5432}/$PGDATABASE as $PGUSER"
    server=$((server_num / 10000))
    # pg_dump refuses a newer server, and a newer client's archive may not restore with the server's own pg_restore.
    [ "$client" = "$server" ] || fail "pg_dump $client cannot make a restorable dump of PostgreSQL $server: run the client of the server's major version"

    started=$(date -u +%Y%m%dT%H%M%SZ)
    weekday=$(date -u +%u)
    day=$(date -u +%d)
    log "dumping $PGDATABASE from $PGHOST (PostgreSQL $server)"
    pg_dump --no-password --format=custom --compress=6 --file="$work/database.dump" \
        || fail "pg_dump exited non-zero"
    # Every entry of the archive's table of contents must read back.
    pg_restore --list "$work/database.dump" >"$work/database.list" || fail "pg_restore --list cannot read the dump"
    entries=$(grep -vc '^;' "$work/database.list" || true)
    [ "$entries" -gt 0 ] || fail "the dump lists no objects"
    sha256=$(sha256sum "$work/database.dump" | cut -d' ' -f1)
    size=$(wc -c <"$work/database.dump" | tr -d ' ')
    {
        echo "name=$PGDATABASE-$started.dump"
        echo "sha256=$sha256"
        echo "size=$size"
        echo "entries=$entries"
        echo "source=$PGHOST/$PGDATABASE"
        echo "server=$server"
        echo "created=$started"
        echo "weekday=$weekday"
        echo "day=$day"
    } >"$work/manifest"
    log "dumped $size bytes, $entries entries, sha256 $sha256"
}

# Reads s3://$DUMP_BUCKET/$1 back and compares its SHA-256 and metadata with the dump's.
verify_object() {
    actual=$(aws s3 cp --only-show-errors "s3://$DUMP_BUCKET/$1" - | sha256sum | cut -d' ' -f1) \
        || fail "cannot read back s3://$DUMP_BUCKET/$1"
    [ "$actual" = "$sha256" ] || fail "s3://$DUMP_BUCKET/$1 reads back as sha256 $actual, the dump is $sha256"
    recorded=$(aws s3api head-object --bucket "$DUMP_BUCKET" --key "$1" --query Metadata.sha256 --output text) \
        || fail "cannot read the metadata of s3://$DUMP_BUCKET/$1"
    [ "$recorded" = "$sha256" ] || fail "s3://$DUMP_BUCKET/$1 records sha256 $recorded, the dump is $sha256"
}

upload() {
    [ -f "$work/manifest" ] || fail "no checked dump in $work: the dump step did not succeed"
    name=$(field name)
    sha256=$(field sha256)
    key="$DUMP_PREFIX$name"
    # The bucket's key by ARN: the bucket policy refuses any other key or algorithm. The CLI
    # (2.23 and later) sends a CRC32 checksum that S3 verifies on arrival, and which Object Lock
    # requires of every upload; the read-back below checks the stored object end to end.
    encryption="--sse aws:kms --sse-kms-key-id $DUMP_KMS_KEY_ARN"
    # shellcheck disable=SC2086 # $encryption is a list of options
    aws s3 cp --only-show-errors $encryption \
        --metadata "sha256=$sha256,size=$(field size),source=$(field source),created=$(field created),postgres=$(field server)" \
        "$work/database.dump" "s3://$DUMP_BUCKET/$key" || fail "upload to s3://$DUMP_BUCKET/$key failed"
    verify_object "$key"
    log "uploaded and verified s3://$DUMP_BUCKET/$key"

    # The longer-kept tiers take a server-side copy: the week's first run (Sunday, or every
    # weekly run) and the month's first (the first day, or the first weekly run of the month).
    copies=""
    if [ -n "${DUMP_WEEKLY_PREFIX:-}" ] && { [ "$DUMP_CADENCE_DAYS" -ge 7 ] || [ "$(field weekday)" = 7 ]; }; then
        copies="$DUMP_WEEKLY_PREFIX"
    fi
    if [ -n "${DUMP_MONTHLY_PREFIX:-}" ] && [ "$(field day | sed 's/^0//')" -le "$DUMP_CADENCE_DAYS" ]; then
        copies="$copies $DUMP_MONTHLY_PREFIX"
    fi
    for prefix in $copies; do
        # shellcheck disable=SC2086
        aws s3 cp --only-show-errors $encryption --copy-props metadata-directive \
            "s3://$DUMP_BUCKET/$key" "s3://$DUMP_BUCKET/$prefix$name" || fail "copy to s3://$DUMP_BUCKET/$prefix$name failed"
        verify_object "$prefix$name"
        log "copied and verified s3://$DUMP_BUCKET/$prefix$name"
    done
    date -u +%s >"$work/uploaded"
}

publish() {
    [ -f "$work/uploaded" ] || fail "no verified upload in $work: nothing to publish"
    # PUT replaces the group: the pushed time is the verified upload's, never a failed run's.
    printf '# TYPE keel_backup_last_success_timestamp_seconds gauge\nkeel_backup_last_success_timestamp_seconds %s\n# TYPE keel_backup_last_size_bytes gauge\nkeel_backup_last_size_bytes %s\n' \
        "$(cat "$work/uploaded")" "$(field size)" |
        curl --fail --silent --show-error --retry 3 --retry-connrefused --request PUT --data-binary @- \
            "http://$PUSHGATEWAY/metrics/job/keel-backup/backup/$BACKUP_NAME" || fail "the Pushgateway at $PUSHGATEWAY refused the metric"
    log "published the success of $BACKUP_NAME"
}

case "$step" in
dump | upload | publish) "$step" ;;
*)
    echo "usage: dump-job.sh dump|upload|publish" >&2
    exit 2
    ;;
esac
