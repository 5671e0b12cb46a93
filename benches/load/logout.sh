#!/usr/bin/env bash
# end_session latency when every relying party's back-channel logout endpoint hangs: one
# `jans serve` (sled), CLIENTS trusted clients whose backchannel_logout_uri is a listener
# that never answers (benches/src/bin/logout_latency.rs), SESSIONS browser sessions each
# signed in to every client, then their logouts timed one after another. See
# benches/load/README.md.
#
# Environment (all optional):
#   SESSIONS=200       sessions (and logouts)
#   CLIENTS=3          clients per session, each with a hanging back-channel endpoint
#   PROFILE=release    cargo profile to build with (release or dev)
#   JANS_BIN, LOGOUT_LATENCY_BIN   use these binaries instead of building them
#   BUILD_TIMEOUT=3600 seconds allowed for the build
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SESSIONS="${SESSIONS:-200}"
CLIENTS="${CLIENTS:-3}"
PROFILE="${PROFILE:-release}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-3600}"

log() { printf '[logout.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port, json_get, build_bins
# shellcheck source=lib.sh
. "$HERE/lib.sh"

WORK="$(mktemp -d -t jans-logout.XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in curl node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

JANS_BIN="${JANS_BIN:-}"
LOGOUT_LATENCY_BIN="${LOGOUT_LATENCY_BIN:-}"
if [ -z "$JANS_BIN" ] || [ -z "$LOGOUT_LATENCY_BIN" ]; then
  log "building jans and logout-latency (cargo build --profile $PROFILE)"
  dir=$(build_bins "$PROFILE" jans-http:jans jans-benches:logout-latency)
  JANS_BIN="${JANS_BIN:-$dir/jans}"
  LOGOUT_LATENCY_BIN="${LOGOUT_LATENCY_BIN:-$dir/logout-latency}"
fi
[ -x "$JANS_BIN" ] || die "no jans binary at $JANS_BIN"
[ -x "$LOGOUT_LATENCY_BIN" ] || die "no logout-latency binary at $LOGOUT_LATENCY_BIN"

data="$WORK/data"
jans() { timeout 60 "$JANS_BIN" --data-dir "$data" "$@"; }
jans init >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "jans init failed"; }
password="logout-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" | jans user add --username alice --password-stdin >/dev/null \
  || die "jans user add failed"
rp_port=$(free_port)
client_args=()
for i in $(seq 1 "$CLIENTS"); do
  printf '{"client_name": "hanging RP %s", "redirect_uris": ["http://localhost:9/cb"], "trusted_client": true, "backchannel_logout_uri": "http://127.0.0.1:%s/bcl/%s"}\n' \
    "$i" "$rp_port" "$i" >"$WORK/client$i.json"
  jans client add --json "$WORK/client$i.json" >"$WORK/client$i.out" 2>&1 \
    || { cat "$WORK/client$i.out" >&2; die "jans client add failed"; }
  client_args+=(--client "$(json_get "$WORK/client$i.out" client_id):$(json_get "$WORK/client$i.out" client_secret)")
done

port=$(free_port)
# The relying parties listen on loopback: allow it for this run.
JANS_OUTBOUND_BLOCK_PRIVATE_IP=false "$JANS_BIN" --data-dir "$data" serve \
  --listen "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || die "jans serve did not start"
log "jans serve on port $port; $SESSIONS sessions, $CLIENTS hanging clients each"
timeout 600 "$LOGOUT_LATENCY_BIN" --base "http://127.0.0.1:$port" --issuer "http://localhost:$port" \
  --user "alice:$password" --rp-port "$rp_port" --sessions "$SESSIONS" "${client_args[@]}"
