#!/usr/bin/env bash
# The GitHub Action's gate (action.yml): gathers once, then evaluates the saved facts twice — a Markdown summary
# for the step summary, and workflow commands whose exit code is the gate's. Inputs come as SSM_CHECK_* variables
# and are passed as separate arguments, never evaluated by a shell.
set -euo pipefail

# A workflow command's message as the runner reads it: %, CR and LF escaped (as `--format github` does), so an
# input cannot end the annotation and start a command of its own.
escape() {
  local s=${1//%/%25}
  s=${s//$'\r'/%0D}
  printf '%s' "${s//$'\n'/%0A}"
}
fail() {
  echo "::error title=ssm-check::$(escape "$1")"
  exit 2
}

# Every input is checked before anything is gathered: a mistake costs no AWS calls and names the input.
mode=${SSM_CHECK_MODE:-shell}
case "$mode" in
  shell | ssh | port | remote-port) ;;
  *) fail "mode: '$mode' is not one of shell, ssh, port, remote-port" ;;
esac
port=${SSM_CHECK_PORT:-}
if [ -n "$port" ]; then
  if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || [ "$((10#$port))" -lt 1 ] || [ "$((10#$port))" -gt 65535 ]; then
    fail "port: '$port' is not a port number (1-65535)"
  fi
  case "$mode" in
    port | remote-port | ssh) ;;
    *) fail "port: mode $mode goes to no port (give mode: port to forward port $port)" ;;
  esac
fi
if [ -n "${SSM_CHECK_REMOTE_HOST:-}" ] && [ "$mode" != remote-port ]; then
  fail "remote-host: only mode remote-port forwards to another host"
fi
if [ -z "${SSM_CHECK_REMOTE_HOST:-}" ] && [ "$mode" = remote-port ]; then
  fail "mode remote-port needs remote-host: the host to forward to through the instance"
fi
if [ -n "${SSM_CHECK_FAIL_ON:-}" ] && ! [[ "$SSM_CHECK_FAIL_ON" =~ ^(fail|warn|unknown)(,(fail|warn|unknown))*$ ]]; then
  fail "fail-on: '$SSM_CHECK_FAIL_ON' is not a comma-separated list of warn, unknown (and fail)"
fi
wait=${SSM_CHECK_WAIT:-}
if [ -n "$wait" ] && ! [[ "$wait" =~ ^([0-9]+[hms]?)+$ ]]; then
  fail "wait: '$wait' is not a duration (10m, 90s, 1h30m)"
fi

select=()
read -r -a ids <<< "$(printf '%s' "${SSM_CHECK_TARGETS:-}" | tr '\n' ' ')"
for id in "${ids[@]}"; do
  # Only ids: anything else (a flag, a name) would be read as something else.
  if ! [[ "$id" =~ ^m?i-[0-9a-f]{8,17}$ ]]; then
    fail "'$id' is not an instance or managed-node id"
  fi
done
select+=("${ids[@]}")
while IFS= read -r filter; do
  [ -n "$filter" ] && select+=(--filters "$filter")
done <<< "${SSM_CHECK_FILTERS:-}"
[ "${SSM_CHECK_ALL:-false}" = true ] && select+=(--all)
if [ ${#select[@]} -eq 0 ]; then
  fail "give targets, filters or all: true"
fi

where=()
[ -n "${SSM_CHECK_REGION:-}" ] && where+=(--region "$SSM_CHECK_REGION")
remote=()
[ -n "${SSM_CHECK_REMOTE_HOST:-}" ] && remote+=(--remote-host "$SSM_CHECK_REMOTE_HOST")
session=(--mode "$mode")
[ -n "$port" ] && session+=(--port "$((10#$port))")
gate=()
[ -n "${SSM_CHECK_FAIL_ON:-}" ] && gate+=(--fail-on "$SSM_CHECK_FAIL_ON")

# Until ready, or until what fails will not end by itself: then the gate reports the state it ended in. The
# report itself is the gate's below (its lines of what it waits for stay in the log); a usage or environment error
# (2, 3) ends the job here, as it would there.
if [ -n "$wait" ]; then
  waited=0
  ssm-check "${select[@]}" "${where[@]}" "${session[@]}" "${remote[@]}" --wait "$wait" > /dev/null || waited=$?
  if [ "$waited" -eq 2 ] || [ "$waited" -eq 3 ]; then
    exit "$waited"
  fi
fi

facts=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ssm-check-facts.XXXXXX")
ssm-check gather "${select[@]}" "${where[@]}" "${remote[@]}" > "$facts"
echo "facts=$facts" >> "${GITHUB_OUTPUT:-/dev/null}"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  ssm-check --facts "$facts" "${session[@]}" "${remote[@]}" "${gate[@]}" --format markdown >> "$GITHUB_STEP_SUMMARY" || true
fi
ssm-check --facts "$facts" "${session[@]}" "${remote[@]}" "${gate[@]}" --format github
