#!/usr/bin/env bash
# Several `jans serve` nodes on one PostgreSQL server under a mixed load (client_credentials
# tokens, introspection, revocation, refresh-token rotation) spread evenly over the nodes,
# then an audit of every grant the load was told about: nothing acknowledged lost, nothing
# duplicated, no errors (benches/src/bin/mixed_load.rs). See benches/load/README.md.
#
# Environment (all optional):
#   DURATION=60        seconds of load
#   NODES=3            jans serve processes
#   CONCURRENCY=48     concurrent requests
#   CHAINS=32          refresh-token chains (seeded with the password grant)
#   MIX=40,35,10,15    weights of token, introspect, revoke, refresh
#   PROFILE=release    cargo profile to build with (release or dev)
#   JANS_BIN, MIXED_LOAD_BIN   use these binaries instead of building them (skips cargo)
#   BUILD_TIMEOUT=3600 seconds allowed for the build
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DURATION="${DURATION:-60}"
NODES="${NODES:-3}"
CONCURRENCY="${CONCURRENCY:-48}"
CHAINS="${CHAINS:-32}"
MIX="${MIX:-40,35,10,15}"
PROFILE="${PROFILE:-release}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-3600}"

log() { printf '[cluster.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port, json_get, build_bins
# shellcheck source=lib.sh
. "$HERE/lib.sh"

WORK="$(mktemp -d -t jans-cluster.XXXXXX)"
PIDS=()
PG_STARTED=""
cleanup() {
  local rc=$?
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_STARTED" ]; then "$ROOT/.ci/postgres" stop || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in curl node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# --- binaries --------------------------------------------------------------------------------
JANS_BIN="${JANS_BIN:-}"
MIXED_LOAD_BIN="${MIXED_LOAD_BIN:-}"
if [ -z "$JANS_BIN" ] || [ -z "$MIXED_LOAD_BIN" ]; then
  log "building jans and mixed-load (cargo build --profile $PROFILE)"
  dir=$(build_bins "$PROFILE" jans-http:jans jans-benches:mixed-load)
  JANS_BIN="${JANS_BIN:-$dir/jans}"
  MIXED_LOAD_BIN="${MIXED_LOAD_BIN:-$dir/mixed-load}"
fi
[ -x "$JANS_BIN" ] || die "no jans binary at $JANS_BIN"
[ -x "$MIXED_LOAD_BIN" ] || die "no mixed-load binary at $MIXED_LOAD_BIN"

# --- the database and its data ---------------------------------------------------------------
pg_env=$("$ROOT/.ci/postgres" start) || die "could not start PostgreSQL"
eval "$pg_env"
PG_STARTED=1
export JANS_PERSISTENCE_TYPE=postgres JANS_DATABASE_URL="$JANS_TEST_DATABASE_URL"
JANS_MASTER_KEY="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
export JANS_MASTER_KEY
log "PostgreSQL at $JANS_DATABASE_URL"

ports=()
for _ in $(seq 1 "$NODES"); do ports+=("$(free_port)"); done
issuer="http://localhost:${ports[0]}"

# The password grant (off by default) seeds the refresh chains; the shared configuration is
# seeded from this file by migrate, and every node reads it from the database.
cat >"$WORK/jans.toml" <<EOF
grantTypesSupported = ["authorization_code", "client_credentials", "implicit", "password", "refresh_token"]
EOF
ops() { timeout 60 "$JANS_BIN" --data-dir "$WORK/ops" --config "$WORK/jans.toml" "$@"; }
JANS_ISSUER="$issuer" ops migrate --no-admin-client >"$WORK/migrate.log" 2>&1 \
  || { cat "$WORK/migrate.log" >&2; die "jans migrate failed"; }
password="load-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" | ops user add --username loaduser --password-stdin >/dev/null \
  || die "jans user add failed"
cat >"$WORK/cc.json" <<EOF
{"client_name":"load-cc","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"read"}
EOF
cat >"$WORK/rt.json" <<EOF
{"client_name":"load-refresh","grant_types":["password","refresh_token"],"token_endpoint_auth_method":"client_secret_basic","scope":"offline_access"}
EOF
ops client add --json "$WORK/cc.json" >"$WORK/cc.out" || die "jans client add failed"
ops client add --json "$WORK/rt.json" >"$WORK/rt.out" || die "jans client add failed"

# --- the nodes -------------------------------------------------------------------------------
bases=()
for i in $(seq 0 $((NODES - 1))); do
  port="${ports[$i]}"
  "$JANS_BIN" --data-dir "$WORK/node$i" serve --listen "127.0.0.1:$port" --issuer "$issuer" \
    >"$WORK/node$i.log" 2>&1 &
  PIDS+=("$!")
  bases+=("http://127.0.0.1:$port")
done
for i in $(seq 0 $((NODES - 1))); do
  ready=""
  for _ in $(seq 1 300); do
    kill -0 "${PIDS[$i]}" 2>/dev/null || { cat "$WORK/node$i.log" >&2; die "node $i exited"; }
    if curl -fsS -o /dev/null --max-time 2 "${bases[$i]}/health/ready" 2>/dev/null; then
      ready=1; break
    fi
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$WORK/node$i.log" >&2; die "node $i not ready after 30 s"; }
done
log "$NODES nodes ready: ${bases[*]}"

# --- the load --------------------------------------------------------------------------------
nodes_csv="$(IFS=,; echo "${bases[*]}")"
rc=0
timeout $((DURATION + 600)) "$MIXED_LOAD_BIN" \
  --nodes "$nodes_csv" --duration "$DURATION" --concurrency "$CONCURRENCY" --chains "$CHAINS" \
  --mix "$MIX" \
  --client "$(json_get "$WORK/cc.out" client_id):$(json_get "$WORK/cc.out" client_secret)" \
  --refresh-client "$(json_get "$WORK/rt.out" client_id):$(json_get "$WORK/rt.out" client_secret)" \
  --user "loaduser:$password" || rc=$?

for i in $(seq 0 $((NODES - 1))); do
  if grep -qE ' (ERROR|WARN) ' "$WORK/node$i.log"; then
    log "node $i logged errors or warnings:"
    grep -E ' (ERROR|WARN) ' "$WORK/node$i.log" | head -20 >&2
    rc=1
  fi
done
echo "$NODES nodes x $(nproc) cores, PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version | awk '{print $3}')"
exit "$rc"
