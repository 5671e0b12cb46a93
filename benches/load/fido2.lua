-- wrk script for benches/load/fido2.sh: POST each prepared assertion/result body once.
-- Environment: FIDO2_BODIES (a file of JSON bodies, one per line, from `fido2-load
-- --bodies`), WRK_THREADS (wrk's -t). Thread k of n posts the lines k, k+n, k+2n, ...,
-- each once (a second post of one would be refused: its challenge is used). A thread that
-- runs out before wrk's duration ends posts `GET /health` instead and the run is reported
-- as `exhausted` (prepare more bodies, or run shorter).
local file = os.getenv("FIDO2_BODIES") or error("FIDO2_BODIES is not set")
local threads = tonumber(os.getenv("WRK_THREADS") or "1")
local counter = 0
local all = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(all, thread)
end

local bodies = {}
local next_body = 1
exhausted = 0

function init(args)
  local i = 0
  for line in io.lines(file) do
    if line ~= "" and i % threads == id then
      table.insert(bodies, line)
    end
    i = i + 1
  end
end

wrk.method = "POST"
wrk.path = "/jans-fido2/restv1/assertion/result"
wrk.headers["Content-Type"] = "application/json"

function request()
  local body = bodies[next_body]
  if body == nil then
    exhausted = 1
    return wrk.format("GET", "/health")
  end
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local out = 0
  for _, t in ipairs(all) do
    out = out + (tonumber(t:get("exhausted")) or 0)
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d exhausted=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, out))
end
