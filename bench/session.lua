-- A mobile session mix for wrk: mostly reads (feed, nearby people and places, dishes), some writes.
-- Tokens, dish ids and the city centre come from the environment (bench/load.py sets them).
local tokens, dishes = {}, {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
for d in string.gmatch(os.getenv("DISHES") or "", "[^,]+") do dishes[#dishes + 1] = d end

local function body(query, variables)
  return '{"query":"' .. query .. '","variables":' .. (variables or "{}") .. '}'
end

local mix = {
  {30, "feed", function() return body("{ feed(first: 20) { edges { node { kind review { id rating body author { displayName } dish { name } restaurant { name } photos { thumbnailUrl } } } } } }") end},
  {25, "nearbyFoodies", function() return body("{ nearbyFoodies(radiusKm: 5, first: 20) { edges { node { distanceKm score sharedCuisines user { id displayName } } } } }") end},
  {15, "restaurantsNearby", function()
    local lat, lng = 30.60 + math.random() * 0.12, 104.00 + math.random() * 0.12
    return body("query($a: Float!, $b: Float!) { restaurantsNearby(lat: $a, lng: $b, radiusKm: 3, first: 20) { edges { node { id name distanceKm } } } }",
      string.format('{"a": %f, "b": %f}', lat, lng)) end},
  {10, "dish", function()
    local dish = dishes[math.random(#dishes)]
    return body("query($d: ID!) { dish(id: $d) { name averageRating reviewCount reviews(first: 10) { edges { node { rating body author { displayName } } } } } }",
      '{"d": "' .. dish .. '"}') end},
  {10, "me", function() return body("{ me { id displayName followersCount followingCount } }") end},
  {5, "dealsNearby", function() return body("{ dealsNearby(lat: 30.6586, lng: 104.0648, radiusKm: 5, first: 20) { edges { node { id title priceCents remaining } } } }") end},
  {5, "updateProfile", function() return body("mutation { updateProfile(input: {bio: \\\"周末找饭搭子\\\"}) { errors { code } } }") end},
}
-- ONLY=me,dish keeps just those lines of the mix (same relative weights): per-line costs.
local only = os.getenv("ONLY")
if only and only ~= "" then
  local keep, wanted = {}, {}
  for name in string.gmatch(only, "[^,]+") do wanted[name] = true end
  for _, entry in ipairs(mix) do if wanted[entry[2]] then keep[#keep + 1] = entry end end
  mix = keep
end
local total = 0
for _, entry in ipairs(mix) do total = total + entry[1] end

request = function()
  local pick, acc = math.random(total), 0
  for _, entry in ipairs(mix) do
    acc = acc + entry[1]
    if pick <= acc then
      local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}
      return wrk.format("POST", "/graphql", headers, entry[3]())
    end
  end
end

-- A 200 carrying GraphQL errors is a failure too: count them (printed as "GraphQL errors: N").
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function init(args) graphql_errors = 0 end
function response(status, headers, body)
  if body and string.find(body, '"errors":[{', 1, true) then graphql_errors = graphql_errors + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("graphql_errors") or 0) end
  io.write(string.format("GraphQL errors: %d\n", total))
end
