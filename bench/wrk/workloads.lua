-- wrk workloads for Tasklane and the floor (bench/run.py writes the data file and runs wrk).
--
--   wrk -t2 -c32 -d10s --latency -s bench/wrk/workloads.lua http://127.0.0.1:PORT \
--       -- DATA_FILE WORKLOAD SEED THREADS POOL [DELAY_MS]
--
-- DATA_FILE holds, one per line, tab-separated:
--   U <token> <email> <page-50 cursor or ->   a seeded user (numbered from 1 in file order)
--   T <user number> <task id> <version>        one of that user's tasks
--   Q <word prefix>                             a search term
--   P <password>                                every seeded account's password
-- Every request picks a random user and acts as that user (its token; one of its tasks).
-- DELAY_MS (bench/soak.py): each connection waits this long before each request, so the
-- rate is about connections x 1000 / (DELAY_MS + latency): a steady load, not the most the
-- server takes.
-- Workloads: get, list, search, page1, page50, create, update, login, mix.
-- Reads are built in init() (a pool of pre-formatted requests), so the client spends little
-- per request; update builds each request from the versions it has seen, since If-Match must
-- carry the task's current ETag.

local users, tasks, terms = {}, {}, {}
local password = ""
local workload
local pool = {}
local POOL = 20000 -- pre-formatted requests per read workload (argument 5)
local statuses = { "todo", "in_progress", "done" }
local priorities = { "low", "medium", "high", "urgent" }

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do
    table.insert(fields, field)
  end
  return fields
end

local function load(path)
  for line in io.lines(path) do
    local f = split(line)
    if f[1] == "U" then
      table.insert(users, { token = f[2], email = f[3], cursor = f[4] ~= "-" and f[4] or nil,
                            tasks = {} })
    elseif f[1] == "T" then
      local task = { user = tonumber(f[2]), id = f[3], version = tonumber(f[4]) }
      table.insert(tasks, task)
      table.insert(users[task.user].tasks, task)
    elseif f[1] == "Q" then
      table.insert(terms, f[2])
    elseif f[1] == "P" then
      password = f[2]
    end
  end
end

local function auth(user)
  return { ["Authorization"] = "Bearer " .. user.token }
end

local function json_headers(user)
  local h = user and auth(user) or {}
  h["Content-Type"] = "application/json"
  return h
end

local function pick(list)
  return list[math.random(#list)]
end

-- One request of each kind --------------------------------------------------------------

local function get_request()
  local task = pick(tasks)
  return wrk.format("GET", "/api/v1/tasks/" .. task.id, auth(users[task.user]))
end

local function list_request()
  return wrk.format("GET", "/api/v1/tasks?status=" .. pick(statuses), auth(pick(users)))
end

local function search_request()
  return wrk.format("GET", "/api/v1/tasks?q=" .. pick(terms), auth(pick(users)))
end

local function page1_request()
  return wrk.format("GET", "/api/v1/tasks?limit=10", auth(pick(users)))
end

local deep_users = {}
local function page50_request()
  local user = pick(deep_users)
  return wrk.format("GET", "/api/v1/tasks?limit=10&cursor=" .. user.cursor, auth(user))
end

local words = { "Review", "Draft", "Call", "Plan", "Book", "Fix", "Send", "Order" }
local nouns = { "budget", "report", "garden", "invoice", "slides", "dentist", "flight" }
local function create_request()
  local body = string.format(
    '{"title":"%s %s %d","description":"created by the benchmark","status":"%s",' ..
    '"priority":"%s","due_at":"2030-01-%02dT09:00:00Z","tags":["bench","%s"]}',
    pick(words), pick(nouns), math.random(1000000), pick(statuses), pick(priorities),
    math.random(28), pick(nouns))
  return wrk.format("POST", "/api/v1/tasks", json_headers(pick(users)), body)
end

local function login_request()
  local body = string.format('{"email":"%s","password":"%s"}', pick(users).email, password)
  return wrk.format("POST", "/api/v1/auth/login", json_headers(nil), body)
end

-- Updates: this thread's share of the tasks (no two threads touch the same task), never a
-- task whose previous update is still in flight, always with the version last seen.
local mine, by_id, in_flight = {}, {}, {}
local function update_request()
  local task
  for _ = 1, 20 do
    task = pick(mine)
    if not in_flight[task.id] then break end
  end
  in_flight[task.id] = true
  local body = string.format('{"status":"%s","priority":"%s"}', pick(statuses),
                             pick(priorities))
  local headers = json_headers(users[task.user])
  headers["If-Match"] = '"' .. task.version .. '"'
  return wrk.format("PATCH", "/api/v1/tasks/" .. task.id, headers, body)
end

status_counts = {} -- global: done() reads it through thread:get
local function track(status, headers, body)
  status_counts[status] = (status_counts[status] or 0) + 1
  local etag = headers["ETag"] or headers["etag"] or headers["Etag"]
  if etag == nil or body == nil then return end
  local id = string.match(body, '"id":"([0-9a-f%-]+)"')
  local task = id and by_id[id]
  local version = task and tonumber(string.match(etag, "%d+"))
  -- Versions only grow: a read answered late must not take one back, and only a newer
  -- version shows that the update in flight has landed.
  if version and version > task.version then
    task.version = version
    in_flight[id] = nil
  end
end

local function mix_request()
  local r = math.random(100)
  if r <= 40 then return pool_get() end
  if r <= 60 then return list_request() end
  if r <= 70 then return search_request() end
  if r <= 90 then return update_request() end
  return create_request()
end

local builders = {
  get = get_request, list = list_request, search = search_request, page1 = page1_request,
  page50 = page50_request, create = create_request, login = login_request,
}

function pool_get()
  return pool.get[math.random(#pool.get)]
end

function init(args)
  local data_file = args[1]
  workload = args[2]
  local seed = tonumber(args[3]) or 0
  math.randomseed(os.time() + seed * 1000 + (thread_number or 1) * 7919)
  load(data_file)
  local nthreads = tonumber(args[4]) or 1
  POOL = tonumber(args[5]) or POOL
  local delay_ms = tonumber(args[6]) or 0
  if delay_ms > 0 then
    delay = function() return delay_ms end
  end
  for _, user in ipairs(users) do
    if user.cursor then table.insert(deep_users, user) end
  end
  for index, task in ipairs(tasks) do
    if (index % nthreads) + 1 == (thread_number or 1) then
      table.insert(mine, task)
      by_id[task.id] = task
    end
  end
  -- Pre-formatted requests for the read workloads (and the mix's gets).
  pool.get = {}
  for _ = 1, POOL do table.insert(pool.get, get_request()) end
  if builders[workload] and workload ~= "get" then
    pool[workload] = {}
    for _ = 1, POOL do table.insert(pool[workload], builders[workload]()) end
  end
  if workload ~= "update" and workload ~= "mix" then
    response = nil
  end
end

function request()
  if workload == "update" then return update_request() end
  if workload == "mix" then return mix_request() end
  local list = pool[workload]
  return list[math.random(#list)]
end

function response(status, headers, body)
  track(status, headers, body)
end

function done(summary, latency, requests)
  -- Status counts from the threads that tracked them (update and mix), as one JSON line.
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("status_counts")
    if counts then
      for status, n in pairs(counts) do
        merged[status] = (merged[status] or 0) + n
      end
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, table.concat(parts, ",")))
end
