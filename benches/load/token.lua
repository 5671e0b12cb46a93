-- wrk script for benches/load/token.sh: POST a client_credentials token request.
-- Environment: TOKEN_PATH (request path), BASIC_AUTH (base64 of client_id:client_secret),
--              TOKEN_SCOPE (optional scope parameter).
local path = os.getenv("TOKEN_PATH") or "/token"
local auth = os.getenv("BASIC_AUTH") or error("BASIC_AUTH is not set")
local scope = os.getenv("TOKEN_SCOPE") or ""

local body = "grant_type=client_credentials"
if scope ~= "" then
  body = body .. "&scope=" .. scope:gsub(" ", "%%20")
end

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. auth

-- No request() function: wrk formats this one request once per thread (after adding Host).

-- One machine-readable line that token.sh parses (latencies in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
