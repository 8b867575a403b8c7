-- wrk script: a credential-stuffing flood. Every request signs in to a
-- different account from a different address (X-Forwarded-For, trusted by
-- the bench server), so the per-address and per-account limits do not stop
-- it and every request reaches argon2 (a dummy hash for unknown accounts).
-- Set by bench-signin.sh through the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")

local threads = {}
local counter = 0

setup = function(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local n = id * 1000000 + counter
  local ip = string.format("10.%d.%d.%d", id, math.floor(counter / 256) % 256, counter % 256)
  wrk.headers["X-Forwarded-For"] = ip
  local body = "email=stuffed" .. n .. "%40example.com&password=correct+horse+battery+staple"
  return wrk.format(nil, nil, nil, body)
end

statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("sign-in answers %d: %d\n", status, count))
  end
end
