-- wrk script: every request is a sign-in with the right password (argon2
-- every time). Set by bench-signin.sh through the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
wrk.body = "email=" .. os.getenv("BENCH_EMAIL") .. "&password=" .. os.getenv("BENCH_PASSWORD"):gsub(" ", "+")

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  for status, count in pairs(statuses) do
    io.write(string.format("sign-in answers %d: %d\n", status, count))
  end
end
