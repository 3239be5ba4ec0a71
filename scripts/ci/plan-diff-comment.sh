#!/usr/bin/env bash
# usage: bash scripts/ci/plan-diff-comment.sh BASE_DIR OUT_DIR ENVIRONMENT...
# What a pull request changes, offline: plans each environment on the base branch (checked out,
# with its dependencies, in BASE_DIR) with --json, then on this branch with --diff against it,
# and writes OUT_DIR/comment.md — one Markdown comment with each environment's summary line,
# policy result and difference — plus each plan's output. Needs no cloud credentials.
# Exits 1 when a plan of this branch is refused or has a mandatory violation, after writing.
set -uo pipefail
base="$1"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
shift 2
comment="$out/comment.md"
marker="<!-- keel-plan-diff -->"
# GitHub refuses comments over 65,536 characters: each environment's difference is cut to fit.
limit=14000
failed=0

{
    echo "$marker"
    echo "### Offline plan: this pull request against ${BASE_REF:-the base branch}"
    echo
    echo "Each environment planned offline (no cloud credentials) on the base branch and on this branch: \`npm run plan -- <environment> --diff\`, with the policy pack's result."
} > "$comment"

for environment in "$@"; do
    base_plan="$out/$environment.base.json"
    head_text="$out/$environment.txt"
    (cd "$base" && npm run -s plan -- "$environment" --json "$base_plan" --quiet) > "$out/$environment.base.txt" 2>&1
    if [ -s "$base_plan" ]; then
        npm run -s plan -- "$environment" --diff "$base_plan" > "$head_text" 2>&1
        status=$?
        against="against the base branch"
    else
        # No plan of the base branch (a new environment, or one the base refuses): everything is new.
        npm run -s plan -- "$environment" --quiet > "$head_text" 2>&1
        status=$?
        against="no plan of the base branch ($(tail -n 1 "$out/$environment.base.txt")): every resource is new"
    fi
    case "$status" in
        0) if grep -q '^Policy violations:' "$head_text"; then verdict="policies: advisory violations"; else verdict="policies passed"; fi ;;
        1) verdict="**mandatory policy violations: refused**"; failed=1 ;;
        *) verdict="**plan refused (exit $status)**"; failed=1 ;;
    esac
    summary="$(grep -m 1 '^Resources:' "$head_text" || echo "no plan")"
    {
        echo
        echo "<details><summary><b>${environment}</b>: ${summary} · ${verdict}</summary>"
        echo
        echo "${against}"
        echo
        echo '```'
        head -c "$limit" "$head_text"
        if [ "$(wc -c < "$head_text")" -gt "$limit" ]; then
            echo
            echo "… cut at ${limit} characters: the whole output is in the plan-diff artifact (${environment}.txt)"
        fi
        echo '```'
        echo
        echo "</details>"
    } >> "$comment"
done
exit "$failed"
