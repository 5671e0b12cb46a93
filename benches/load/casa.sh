#!/usr/bin/env bash
# Casa's dashboard for a person with many credentials, on `jans serve` (sled): casa-load
# (benches/src/bin/casa_load.rs) signs in through the real pages, registers KEYS passkeys
# and enrols APPS authenticator apps, then times REQUESTS dashboard GETs one at a time.
# See benches/load/README.md. Issue 17's target: p50 ≤ 5 ms with 20 credentials.
#
# Environment (all optional):
#   KEYS=10 APPS=10     credentials of each kind
#   REQUESTS=2000       dashboard requests timed
#   PROFILE=release     cargo profile to build with (release or dev)
#   JANS_BIN, CASA_LOAD_BIN   use these binaries instead of building them (skips cargo)
#   BUILD_TIMEOUT=3600  seconds allowed for the build
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KEYS="${KEYS:-10}"
APPS="${APPS:-10}"
REQUESTS="${REQUESTS:-2000}"
PROFILE="${PROFILE:-release}"

log() { printf '[casa.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port, build_bins
# shellcheck source=lib.sh
. "$HERE/lib.sh"

for tool in curl node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

WORK="$(mktemp -d -t jans-casa.XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

JANS_BIN="${JANS_BIN:-}"
CASA_LOAD_BIN="${CASA_LOAD_BIN:-}"
if [ -z "$JANS_BIN" ] || [ -z "$CASA_LOAD_BIN" ]; then
  log "building jans and casa-load (cargo build --profile $PROFILE)"
  dir=$(build_bins "$PROFILE" jans-http:jans jans-benches:casa-load)
  JANS_BIN="${JANS_BIN:-$dir/jans}"
  CASA_LOAD_BIN="${CASA_LOAD_BIN:-$dir/casa-load}"
fi
[ -x "$JANS_BIN" ] || die "no jans binary at $JANS_BIN"
[ -x "$CASA_LOAD_BIN" ] || die "no casa-load binary at $CASA_LOAD_BIN"

data="$WORK/data"
port=$(free_port)
timeout 60 "$JANS_BIN" --data-dir "$data" init >"$WORK/init.log" 2>&1 \
  || { cat "$WORK/init.log" >&2; die "jans init failed"; }
password="casa-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" | timeout 60 "$JANS_BIN" --data-dir "$data" user add \
  --username carol --given-name Carol --password-stdin >/dev/null || die "jans user add failed"
"$JANS_BIN" --data-dir "$data" serve --listen "127.0.0.1:$port" \
  --issuer "http://localhost:$port" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "the server exited"; }
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health/ready" 2>/dev/null && break
  sleep 0.1
done
log "jans serve on port $port; $KEYS passkeys and $APPS apps, then $REQUESTS dashboards"
timeout 900 "$CASA_LOAD_BIN" --base "http://127.0.0.1:$port" --origin "http://localhost:$port" \
  --username carol --password "$password" --keys "$KEYS" --apps "$APPS" --requests "$REQUESTS" \
  || { tail -50 "$WORK/serve.log" >&2; die "casa-load failed"; }
