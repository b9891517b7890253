-- wrk script for the tls scenario (load-tests/README.md): every request is the hot
-- path's `POST /v1/credentials` with a JSON body, cycling through the tokens of the file
-- named by the first script argument (one token a line). The requests are formatted
-- once per thread in init, so wrk spends the same few cycles per request on every row.
-- -H headers (e.g. "Connection: close" for the handshake rows) are kept. done prints one
-- JSON line: counts, errors and latency percentiles in microseconds.

local requests = {}
local next_index = 1
local threads = 0

function setup(thread)
   thread:set("thread_number", threads)
   threads = threads + 1
end

function init(args)
   local headers = {}
   for k, v in pairs(wrk.headers) do headers[k] = v end
   headers["Content-Type"] = "application/json"
   headers["Accept"] = "application/json"
   for token in io.lines(args[1]) do
      if #token > 0 then
         requests[#requests + 1] =
            wrk.format("POST", "/v1/credentials", headers, '{"access_token": "' .. token .. '"}')
      end
   end
   assert(#requests > 0, "no tokens in " .. tostring(args[1]))
   -- Threads start at different tokens, so the clients are spread from the first request.
   next_index = (thread_number * 7919) % #requests + 1
end

function request()
   local r = requests[next_index]
   next_index = next_index % #requests + 1
   return r
end

function done(summary, latency, _)
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean))
end
