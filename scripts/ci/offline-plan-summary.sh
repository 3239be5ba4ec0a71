#!/usr/bin/env bash
# Plans one environment offline, writes its artifacts to out/<env>/ and appends the policy
# verdict, the resource summary and the architecture diagram to the GitHub job summary.
# Exits with the plan's status (non-zero on a mandatory policy violation).
set -uo pipefail
environment="$1"
out="out/${environment}"
mkdir -p "$out"
npm run -s plan -- "$environment" --json "$out/plan.json" --out "$out" > "$out/plan.txt" 2> "$out/plan.err"
status=$?
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
{
    echo "## Offline plan: ${environment} ($([ "$status" -eq 0 ] && echo passed || echo "failed, exit $status"))"
    echo
    echo '```'
    sed -n '/^Resources:/,$p' "$out/plan.txt"
    cat "$out/plan.err"
    echo '```'
    if [ -s "$out/architecture.mmd" ]; then
        echo
        echo '```mermaid'
        cat "$out/architecture.mmd"
        echo '```'
    fi
} >> "$summary"
exit "$status"
