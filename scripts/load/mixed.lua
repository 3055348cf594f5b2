-- wrk script for scripts/load_test.sh: a mix of board reads, experiment-page reads and writes,
-- counting every response by status. Configured through the environment:
--   LOAD_MIX         "board,experiment,write" weights in percent (default "50,30,20")
--   LOAD_EXPERIMENT  the key of the experiment page to read
--   LOAD_API         "rest" (POST /api/v1/experiments) or "server_fn" (POST /api/create_experiment)
--   LOAD_TOKEN       bearer token, sent on every request when set
--   LOAD_RUN         a prefix that keeps this run's experiment keys unique
--   LOAD_STATUS_FILE where done() writes "STATUS COUNT" lines for the shell script

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function weights()
  local mix = os.getenv("LOAD_MIX") or "50,30,20"
  local b, e, w = mix:match("^(%d+),(%d+),(%d+)$")
  assert(b, "LOAD_MIX must be three comma-separated integers, got " .. mix)
  return tonumber(b), tonumber(e), tonumber(w)
end

function init(args)
  statuses = {}
  counter = 0
  math.randomseed(os.time() * 1000 + id)
  board_pct, exp_pct, write_pct = weights()
  run = os.getenv("LOAD_RUN") or tostring(os.time())
  api = os.getenv("LOAD_API") or "server_fn"
  local headers = {}
  local token = os.getenv("LOAD_TOKEN")
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  read_headers = headers
  write_headers = {}
  for k, v in pairs(headers) do write_headers[k] = v end
  write_headers["Content-Type"] = "application/json"
  board_request = wrk.format("GET", "/", headers)
  experiment_request = wrk.format("GET", "/experiments/" .. (os.getenv("LOAD_EXPERIMENT") or "missing"), headers)
end

local function write_request()
  counter = counter + 1
  local key = string.format("ld-%s-%d-%d", run, id, counter)
  local body, path
  if api == "rest" then
    path = "/api/v1/experiments"
    body = string.format(
      '{"key":"%s","title":"Load %s","owner":"Load","team":"Perf","hypothesis":"holds under load"}',
      key, key)
  else
    path = "/api/create_experiment"
    body = string.format(
      '{"form":{"key":"%s","title":"Load %s","hypothesis":"holds under load","owner":"Load","team":"Perf","surface":"","tags":""}}',
      key, key)
  end
  return wrk.format("POST", path, write_headers, body)
end

function request()
  local r = math.random(1, 100)
  if r <= board_pct then
    return board_request
  elseif r <= board_pct + exp_pct then
    return experiment_request
  else
    return write_request()
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local out = io.open(os.getenv("LOAD_STATUS_FILE") or "/dev/stdout", "w")
  local keys = {}
  for status in pairs(total) do table.insert(keys, status) end
  table.sort(keys)
  for _, status in ipairs(keys) do
    out:write(string.format("%d %d\n", status, total[status]))
  end
  out:close()
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
