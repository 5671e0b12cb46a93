#!/usr/bin/env bash
# Load test of the client_credentials token endpoint: `jans serve` vs npm oidc-provider.
# See benches/load/README.md. Every step is bounded in time; servers are stopped on exit.
#
# Environment (all optional):
#   DURATION=10s       wrk duration per run (wrk syntax: 10s, 1m)
#   CONNECTIONS=64     wrk connections
#   THREADS=2          wrk threads
#   SERVERS="jans oidc-provider"   which servers to run; jans-postgres runs jans on a
#                      PostgreSQL server started for the run (.ci/postgres, fsync on)
#   KINDS="reference jwt"          which token kinds to run
#   JANS_BIN=PATH      use this jans binary instead of building one (skips cargo)
#   BUILD_TIMEOUT=3600 seconds allowed for `cargo build --release -p jans-http`
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SERVERS="${SERVERS:-jans oidc-provider}"
KINDS="${KINDS:-reference jwt}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-3600}"
SCOPE="read write"

log() { printf '[token.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

WORK="$(mktemp -d -t jans-load.XXXXXX)"
SERVER_PID=""
WRK_PID=""
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

stop_server() {
  local pid="$SERVER_PID"
  SERVER_PID=""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "server $pid did not stop within 5s of SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  [ -z "$WRK_PID" ] || kill -TERM "$WRK_PID" 2>/dev/null || true
  stop_server
  stop_postgres
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "wrk not found; installing the Debian package"
  command -v apt-get >/dev/null 2>&1 || die "wrk is missing and apt-get is not available"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  timeout 600 $SUDO apt-get update -qq >&2 || true
  timeout 600 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 \
    || die "could not install wrk"
fi
for tool in curl node base64; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# seconds in a wrk duration (10s, 2m, 1h, 30)
to_secs() {
  local d="$1" n unit
  n="${d%%[smh]}"; unit="${d##*[0-9]}"
  case "$unit" in
    ''|s) echo "$n" ;; m) echo $((n * 60)) ;; h) echo $((n * 3600)) ;;
    *) die "bad DURATION $d" ;;
  esac
}
WRK_LIMIT=$(( $(to_secs "$DURATION") + 60 ))

# free_port, json_get
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# wait_ready URL LOGFILE: poll URL until it answers 2xx (30 s), failing early if the server died.
wait_ready() {
  local url="$1" logf="$2"
  for _ in $(seq 1 300); do
    if [ -n "$SERVER_PID" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server exited before it was ready; its log:"; cat "$logf" >&2; return 1
    fi
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "server not ready after 30s; its log:"; cat "$logf" >&2; return 1
}

# smoke BASE TOKEN_PATH BASIC KIND: one token request; checks 200 and the token's kind.
# Prints "ok" or a short reason (shown in the summary's check column).
smoke() {
  local base="$1" path="$2" basic="$3" kind="$4" out code
  out="$WORK/smoke.json"
  code=$(curl -sS --max-time 10 -o "$out" -w '%{http_code}' \
    -H "Authorization: Basic $basic" -H 'Accept: application/json' \
    --data-urlencode grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
    "$base$path" 2>&1) || { echo "curl failed: $code"; return 0; }
  if [ "$code" != 200 ]; then
    log "smoke request to $base$path answered $code: $(head -c 300 "$out")"
    echo "HTTP $code"; return 0
  fi
  node -e '
    const [file, kind] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const t = r.access_token;
    if (typeof t !== "string") { console.log("no access_token"); process.exit(0); }
    const parts = t.split(".");
    let hdr = null;
    try { if (parts.length === 3) hdr = JSON.parse(Buffer.from(parts[0], "base64url")); } catch {}
    if (kind === "jwt") console.log(hdr && hdr.typ === "at+jwt" && hdr.alg === "ES256" ? "ok" : `not an ES256 at+jwt: ${JSON.stringify(hdr)}`);
    else console.log(hdr ? "got a JWT, wanted a reference token" : "ok");' "$out" "$kind"
}

# bench SERVER KIND BASE TOKEN_PATH CLIENT_ID CLIENT_SECRET
bench() {
  local server="$1" kind="$2" base="$3" path="$4" id="$5" secret="$6" basic check out line
  basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
  check=$(smoke "$base" "$path" "$basic" "$kind")
  log "$server/$kind: smoke check: $check; running wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
  out="$WORK/wrk-$server-$kind.txt"
  # in the background + wait, so that a signal to this script runs the trap at once
  BASIC_AUTH="$basic" TOKEN_PATH="$path" TOKEN_SCOPE="$SCOPE" \
    timeout "$WRK_LIMIT" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency \
    -s "$HERE/token.lua" "$base" >"$out" 2>&1 &
  WRK_PID=$!
  local wrk_rc=0
  wait "$WRK_PID" || wrk_rc=$?
  WRK_PID=""
  if [ "$wrk_rc" -ne 0 ]; then
    log "wrk failed for $server/$kind:"; cat "$out" >&2
    printf '%s\t%s\t-\t-\t-\t-\t-\twrk failed\n' "$server" "$kind" >>"$RESULTS"
    return 0
  fi
  cat "$out" >&2
  line=$(grep '^WRK_RESULT' "$out" | tail -1)
  # shellcheck disable=SC2086
  local requests= rps= p50_us= p99_us= non2xx= socket_errors= duration_s= max_us=
  for kv in ${line#WRK_RESULT }; do declare "${kv%%=*}=${kv#*=}"; done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$kind" "$rps" \
    "$(awk -v u="$p50_us" 'BEGIN{printf "%.2f ms", u/1000}')" \
    "$(awk -v u="$p99_us" 'BEGIN{printf "%.2f ms", u/1000}')" \
    "$non2xx/$requests" "$socket_errors" "$check" >>"$RESULTS"
}

# --- jans ----------------------------------------------------------------------------------
PG_STARTED=""
stop_postgres() {
  [ -n "$PG_STARTED" ] || return 0
  PG_STARTED=""
  "$ROOT/.ci/postgres" stop || true
}

# run_jans [sled|postgres]
run_jans() {
  local store="${1:-sled}" name=jans
  local bin="${JANS_BIN:-}"
  if [ -z "$bin" ]; then
    log "building jans (cargo build --release -p jans-http)"
    (cd "$ROOT" && timeout "$BUILD_TIMEOUT" cargo build --release -p jans-http >&2) \
      || die "cargo build failed or took more than ${BUILD_TIMEOUT}s"
    bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/jans"
  fi
  [ -x "$bin" ] || die "no jans binary at $bin"

  local data="$WORK/jans-data-$store" port base setup=init
  if [ "$store" = postgres ]; then
    name=jans-postgres
    setup=migrate
    local pg_env
    pg_env=$("$ROOT/.ci/postgres" start) || die "could not start PostgreSQL"
    eval "$pg_env"
    PG_STARTED=1
    export JANS_PERSISTENCE_TYPE=postgres JANS_DATABASE_URL="$JANS_TEST_DATABASE_URL"
    log "PostgreSQL at $JANS_DATABASE_URL"
  fi
  port=$(free_port)
  # The issuer is part of a shared (PostgreSQL) configuration: seed it with the setup.
  JANS_ISSUER="http://localhost:$port" \
  timeout 60 "$bin" --data-dir "$data" $setup >"$WORK/jans-init.log" 2>&1 \
    || { cat "$WORK/jans-init.log" >&2; die "jans $setup failed"; }

  cat >"$WORK/client-reference.json" <<EOF
{"client_name":"bench-reference","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"$SCOPE"}
EOF
  cat >"$WORK/client-jwt.json" <<EOF
{"client_name":"bench-jwt","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"$SCOPE","access_token_as_jwt":true,"access_token_signing_alg":"ES256"}
EOF
  local k
  for k in reference jwt; do
    timeout 60 "$bin" --data-dir "$data" client add --json "$WORK/client-$k.json" \
      >"$WORK/jans-client-$k.out" 2>"$WORK/jans-client-$k.err" \
      || { cat "$WORK/jans-client-$k.out" "$WORK/jans-client-$k.err" >&2; die "jans client add ($k) failed"; }
  done

  base="http://127.0.0.1:$port"
  log "starting jans serve on $base"
  "$bin" --data-dir "$data" serve --listen "127.0.0.1:$port" --issuer "http://localhost:$port" \
    >"$WORK/jans-serve.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$base/health/ready" "$WORK/jans-serve.log" || die "jans serve did not become ready"

  for k in $KINDS; do
    bench "$name" "$k" "$base" /jans-auth/restv1/token \
      "$(json_get "$WORK/jans-client-$k.out" client_id)" \
      "$(json_get "$WORK/jans-client-$k.out" client_secret)"
  done
  stop_server
  if [ "$store" = postgres ]; then
    stop_postgres
    unset JANS_PERSISTENCE_TYPE JANS_DATABASE_URL
  fi
}

# --- oidc-provider -------------------------------------------------------------------------
run_oidc_provider() {
  if [ ! -d "$HERE/node_modules/oidc-provider" ]; then
    log "installing oidc-provider (npm ci in benches/load)"
    (cd "$HERE" && timeout 600 npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
  local port base clients="$WORK/oidc-provider-clients.json"
  port=$(free_port)
  base="http://127.0.0.1:$port"
  log "starting oidc-provider $(node -p 'require(process.argv[1]).version' "$HERE/node_modules/oidc-provider/package.json") on $base"
  NODE_ENV=production node "$HERE/oidc-provider-server.mjs" "$port" "$clients" \
    >"$WORK/oidc-provider.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$base/.well-known/openid-configuration" "$WORK/oidc-provider.log" \
    || die "oidc-provider did not become ready"

  for k in $KINDS; do
    bench oidc-provider "$k" "$base" /token \
      "$(json_get "$clients" "$k.client_id")" "$(json_get "$clients" "$k.client_secret")"
  done
  stop_server
}

for s in $SERVERS; do
  case "$s" in
    jans) run_jans sled ;;
    jans-postgres) run_jans postgres ;;
    oidc-provider) run_oidc_provider ;;
    *) die "unknown server $s (want jans, jans-postgres or oidc-provider)" ;;
  esac
done

echo
echo "client_credentials token endpoint: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
{
  printf 'server\ttoken\treq/s\tp50\tp99\tnon-2xx/total\tsocket errors\tcheck\n'
  cat "$RESULTS"
} | column -t -s $'\t'
if grep -qv $'\tok$' "$RESULTS"; then
  exit 1
fi
awk -F'\t' '{ split($6, a, "/"); if (a[1] != 0 || $7 != 0) bad = 1 } END { exit bad }' "$RESULTS" || exit 1
