-- Counts answers whose status is not 200 (wrk's own "Non-2xx or 3xx" line lets redirects
-- through: a console page that sends everyone to /login must not pass as served).
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    not_ok = 0
end

function response(status, headers, body)
    if status ~= 200 then
        not_ok = not_ok + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + thread:get("not_ok")
    end
    io.write(string.format("Non-200 responses: %d\n", total))
end
