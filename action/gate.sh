#!/usr/bin/env bash
# The GitHub Action's gate (action.yml): gathers once, then evaluates the saved facts twice — a Markdown summary
# for the step summary, and workflow commands whose exit code is the gate's. Inputs come as SSM_CHECK_* variables
# and are passed as separate arguments, never evaluated by a shell.
set -euo pipefail

select=()
read -r -a ids <<< "$(printf '%s' "${SSM_CHECK_TARGETS:-}" | tr '\n' ' ')"
for id in "${ids[@]}"; do
  # Only ids: anything else (a flag, a name) would be read as something else.
  if ! [[ "$id" =~ ^m?i-[0-9a-f]{8,17}$ ]]; then
    echo "::error title=ssm-check::'$id' is not an instance or managed-node id"
    exit 2
  fi
done
select+=("${ids[@]}")
while IFS= read -r filter; do
  [ -n "$filter" ] && select+=(--filters "$filter")
done <<< "${SSM_CHECK_FILTERS:-}"
[ "${SSM_CHECK_ALL:-false}" = true ] && select+=(--all)
if [ ${#select[@]} -eq 0 ]; then
  echo "::error title=ssm-check::give targets, filters or all: true"
  exit 2
fi

where=()
[ -n "${SSM_CHECK_REGION:-}" ] && where+=(--region "$SSM_CHECK_REGION")
remote=()
[ -n "${SSM_CHECK_REMOTE_HOST:-}" ] && remote+=(--remote-host "$SSM_CHECK_REMOTE_HOST")
session=(--mode "${SSM_CHECK_MODE:-shell}")
[ -n "${SSM_CHECK_PORT:-}" ] && session+=(--port "$SSM_CHECK_PORT")
gate=()
[ -n "${SSM_CHECK_FAIL_ON:-}" ] && gate+=(--fail-on "$SSM_CHECK_FAIL_ON")

facts=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ssm-check-facts.XXXXXX")
ssm-check gather "${select[@]}" "${where[@]}" "${remote[@]}" > "$facts"
echo "facts=$facts" >> "${GITHUB_OUTPUT:-/dev/null}"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  ssm-check --facts "$facts" "${session[@]}" "${remote[@]}" "${gate[@]}" --format markdown >> "$GITHUB_STEP_SUMMARY" || true
fi
ssm-check --facts "$facts" "${session[@]}" "${remote[@]}" "${gate[@]}" --format github
