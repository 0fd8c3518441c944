-- A mobile session mix for wrk: mostly reads (feed, nearby people and places, dishes), some writes.
-- Tokens, dish ids and the city centre come from the environment (bench/load.py sets them).
local tokens, dishes = {}, {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
for d in string.gmatch(os.getenv("DISHES") or "", "[^,]+") do dishes[#dishes + 1] = d end

local function body(query, variables)
  return '{"query":"' .. query .. '","variables":' .. (variables or "{}") .. '}'
end

local mix = {
  {30, function() return body("{ feed(first: 20) { edges { node { kind review { id rating body author { displayName } dish { name } restaurant { name } photos { thumbnailUrl } } } } } }") end},
  {25, function() return body("{ nearbyFoodies(radiusKm: 5, first: 20) { edges { node { distanceKm score sharedCuisines user { id displayName } } } } }") end},
  {15, function()
    local lat, lng = 30.60 + math.random() * 0.12, 104.00 + math.random() * 0.12
    return body("query($a: Float!, $b: Float!) { restaurantsNearby(lat: $a, lng: $b, radiusKm: 3, first: 20) { edges { node { id name distanceKm } } } }",
      string.format('{"a": %f, "b": %f}', lat, lng)) end},
  {10, function()
    local dish = dishes[math.random(#dishes)]
    return body("query($d: ID!) { dish(id: $d) { name averageRating reviewCount reviews(first: 10) { edges { node { rating body author { displayName } } } } } }",
      '{"d": "' .. dish .. '"}') end},
  {10, function() return body("{ me { id displayName followersCount followingCount } }") end},
  {5, function() return body("{ dealsNearby(lat: 30.6586, lng: 104.0648, radiusKm: 5, first: 20) { edges { node { id title priceCents remaining } } } }") end},
  {5, function() return body("mutation { updateProfile(input: {bio: \\\"周末找饭搭子\\\"}) { errors { code } } }") end},
}
local total = 0
for _, entry in ipairs(mix) do total = total + entry[1] end

request = function()
  local pick, acc = math.random(total), 0
  for _, entry in ipairs(mix) do
    acc = acc + entry[1]
    if pick <= acc then
      local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}
      return wrk.format("POST", "/graphql", headers, entry[2]())
    end
  end
end
