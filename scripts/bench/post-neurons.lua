-- wrk script: POST /memory/neurons with a fresh neuron per request (the
-- server assigns the id). Usage:
--   wrk -t2 -c16 -d10s -s scripts/bench/post-neurons.lua http://127.0.0.1:8000 -- BRAIN_ID
local brain = "bench"
local n = 0

function init(args)
  if args[1] then brain = args[1] end
end

function request()
  n = n + 1
  local body = string.format('{"type":"concept","content":"benchmark memory %d about Alice in Paris"}', n)
  return wrk.format("POST", "/memory/neurons",
    {["Content-Type"] = "application/json", ["X-Brain-ID"] = brain}, body)
end
