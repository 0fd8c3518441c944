-- bench/knn.py's load: the same GraphQL document and points against either server.
-- POINTS ("lat:lng,lat:lng,...") and QUERY come from the environment; each thread walks the
-- points in turn from its own offset. A reply that is not 200 with edges, or has errors, is bad.
local points = {}
for lat, lng in string.gmatch(os.getenv("POINTS") or "", "([-%d.]+):([-%d.]+)") do
  points[#points + 1] = {lat, lng}
end
local query = os.getenv("QUERY")
local radius = os.getenv("RADIUS_KM") or "3"
local threads = {}
local counter = 0
bad = 0

function setup(thread)
  thread:set("offset", #threads * 37)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
end

request = function()
  counter = counter + 1
  local p = points[(counter % #points) + 1]
  local body = '{"query":"' .. query .. '","variables":{"lat":' .. p[1] .. ',"lng":' .. p[2] ..
    ',"r":' .. radius .. '}}'
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"edges"', 1, true) or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("bad") end
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.3f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"bad\": %d, \"socket_errors\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
