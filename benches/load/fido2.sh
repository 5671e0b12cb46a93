#!/usr/bin/env bash
# WebAuthn assertion/result throughput over loopback: `jans serve` (sled) against
# @simplewebauthn/server on Node, side by side, driven the same way: one passkey
# registered and COUNT ceremonies started and answered ahead (benches/src/bin/fido2_load.rs
# --bodies), then only their results timed: wrk posts each body once, CONNECTIONS at a time
# (benches/load/fido2.lua). See benches/load/README.md.
#
# Environment (all optional):
#   COUNT=60000        ceremonies prepared per server (more than DURATION can post)
#   DURATION=5s        wrk duration
#   CONNECTIONS=32     wrk connections
#   THREADS=2          wrk threads
#   SERVERS="jans simplewebauthn"   which servers to run
#   PROFILE=release    cargo profile to build with (release or dev)
#   JANS_BIN, FIDO2_LOAD_BIN   use these binaries instead of building them (skips cargo)
#   BUILD_TIMEOUT=3600 seconds allowed for the build
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
COUNT="${COUNT:-60000}"
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
SERVERS="${SERVERS:-jans simplewebauthn}"
PROFILE="${PROFILE:-release}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-3600}"

log() { printf '[fido2.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port, json_get, build_bins
# shellcheck source=lib.sh
. "$HERE/lib.sh"

WORK="$(mktemp -d -t jans-fido2.XXXXXX)"
SERVER_PID=""
stop_server() {
  local pid="$SERVER_PID"
  SERVER_PID=""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_server
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in curl node wrk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

JANS_BIN="${JANS_BIN:-}"
FIDO2_LOAD_BIN="${FIDO2_LOAD_BIN:-}"
if [ -z "$JANS_BIN" ] || [ -z "$FIDO2_LOAD_BIN" ]; then
  log "building jans and fido2-load (cargo build --profile $PROFILE)"
  dir=$(build_bins "$PROFILE" jans-http:jans jans-benches:fido2-load)
  JANS_BIN="${JANS_BIN:-$dir/jans}"
  FIDO2_LOAD_BIN="${FIDO2_LOAD_BIN:-$dir/fido2-load}"
fi
[ -x "$JANS_BIN" ] || die "no jans binary at $JANS_BIN"
[ -x "$FIDO2_LOAD_BIN" ] || die "no fido2-load binary at $FIDO2_LOAD_BIN"

wait_for() {
  local url="$1" logf="$2"
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logf" >&2; die "the server exited"; }
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$logf" >&2
  die "the server did not answer $url within 30 s"
}

RESULTS="$WORK/results"
: >"$RESULTS"
FAILED=0
load() {
  local name="$1" port="$2" out
  shift 2
  timeout 900 "$FIDO2_LOAD_BIN" --name "$name" --base "http://127.0.0.1:$port" \
    --origin "http://localhost:$port" --username alice --count "$COUNT" \
    --bodies "$WORK/bodies-$name" "$@" >&2 || { log "$name: preparing the ceremonies failed"; FAILED=1; return 0; }
  out="$WORK/wrk-$name.txt"
  FIDO2_BODIES="$WORK/bodies-$name" WRK_THREADS="$THREADS" timeout 900 \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency \
    -s "$HERE/fido2.lua" "http://127.0.0.1:$port" >"$out" 2>&1 \
    || { cat "$out" >&2; log "$name: wrk failed"; FAILED=1; return 0; }
  cat "$out" >&2
  local line
  line=$(grep '^WRK_RESULT' "$out" | tail -1)
  echo "FIDO2_RESULT server=$name ${line#WRK_RESULT }" | tee -a "$RESULTS"
  case "$line" in
    *" non2xx=0 socket_errors=0 exhausted=0"*) ;;
    *" exhausted=0"*) log "$name: some requests failed"; FAILED=1 ;;
    *) log "$name: the prepared ceremonies ran out: raise COUNT or shorten DURATION"; FAILED=1 ;;
  esac
}

for server in $SERVERS; do
  port=$(free_port)
  case "$server" in
    jans)
      data="$WORK/data"
      jans() { timeout 60 "$JANS_BIN" --data-dir "$data" "$@"; }
      jans init >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "jans init failed"; }
      password="fido2-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
      printf '%s\n' "$password" | jans user add --username alice --password-stdin >/dev/null \
        || die "jans user add failed"
      printf '{"client_name": "fido2 load", "redirect_uris": ["http://localhost:9/cb"], "trusted_client": true}\n' \
        >"$WORK/client.json"
      jans client add --json "$WORK/client.json" >"$WORK/client.out" 2>&1 \
        || { cat "$WORK/client.out" >&2; die "jans client add failed"; }
      "$JANS_BIN" --data-dir "$data" serve --listen "127.0.0.1:$port" \
        --issuer "http://localhost:$port" >"$WORK/serve.log" 2>&1 &
      SERVER_PID=$!
      wait_for "http://127.0.0.1:$port/health/ready" "$WORK/serve.log"
      log "jans serve on port $port"
      load jans "$port" --password "$password" --client "$(json_get "$WORK/client.out" client_id)"
      ;;
    simplewebauthn)
      if [ ! -d "$HERE/node_modules/@simplewebauthn/server" ]; then
        log "installing the baseline's npm packages (npm ci)"
        (cd "$HERE" && timeout 600 npm ci --no-audit --no-fund >&2) || die "npm ci failed"
      fi
      node "$HERE/simplewebauthn-server.mjs" "$port" "http://localhost:$port" localhost \
        >"$WORK/node.log" 2>&1 &
      SERVER_PID=$!
      wait_for "http://127.0.0.1:$port/health" "$WORK/node.log"
      log "@simplewebauthn/server on Node $(node --version), port $port"
      load simplewebauthn "$port"
      ;;
    *) die "unknown server $server" ;;
  esac
  stop_server
done

log "results (assertion/result over loopback, wrk -t$THREADS -c$CONNECTIONS -d$DURATION):"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("FIDO2_RESULT"));
  const rows = lines.map((l) => Object.fromEntries(l.split(" ").slice(1).map((kv) => kv.split("="))));
  for (const r of rows) console.log(`${r.server.padEnd(16)} ${String(r.rps).padStart(8)}/s  p50 ${(r.p50_us / 1000).toFixed(2)} ms  p99 ${(r.p99_us / 1000).toFixed(2)} ms  requests ${r.requests}  non-2xx ${r.non2xx}`);
  const j = rows.find((r) => r.server === "jans"), s = rows.find((r) => r.server === "simplewebauthn");
  if (j && s) console.log(`jans / simplewebauthn: ${(j.rps / s.rps).toFixed(2)}x`);' "$RESULTS" >&2
exit "$FAILED"
