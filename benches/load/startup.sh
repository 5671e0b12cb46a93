#!/usr/bin/env bash
# Measures what an operator sees at start: time from exec to the first 200 from
# /health/ready on an initialized data directory, and idle RSS after start.
# Usage: benches/load/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
cargo build --release -q -p jans-http
bin=target/release/jans
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$bin" --data-dir "$dir/data" init >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin" --data-dir "$dir/data" serve --listen "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 5000); do
        curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
        sleep 0.001
    done
    end=$(date +%s%N)
    sleep 1
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    echo "run $i: ready in $(((end - start) / 1000000)) ms, idle RSS $((rss / 1024)) MiB"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
