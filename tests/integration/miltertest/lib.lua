-- lib.lua - what the miltertest scripts share, loaded with
-- dofile(dir .. "/lib.lua") (the scripts get dir with -D).
-- miltertest prints nothing for a Lua error, so every failure is echoed.

-- fail - echo the failure, then stop the script
function fail(msg)
    mt.echo("FAIL: " .. msg)
    error(msg, 0)
end

-- connect - a connection to the milter on sock, and step(name, err, want)
-- that checks one command's outcome and the milter's reply
function connect()
    local conn = mt.connect(sock, 40, 0.25)
    if conn == nil then fail("cannot connect to " .. sock) end
    local function step(name, err, want)
        if err ~= nil then fail(name .. ": " .. err) end
        local r = mt.getreply(conn)
        if r ~= (want or SMFIR_CONTINUE) then fail(name .. ": reply " .. tostring(r)) end
    end
    return conn, step
end
