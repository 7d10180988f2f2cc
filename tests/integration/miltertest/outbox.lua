-- outbox.lua - one support message straight into the milter (the MTA may
-- be down), for t_outbox.sh: miltertest -D sock=inet:PORT@127.0.0.1 -s outbox.lua
local function fail(msg)
    mt.echo("FAIL: " .. msg)
    error(msg, 0)
end

local ok, err = pcall(function()
    local conn = mt.connect(sock, 40, 0.25)
    if conn == nil then fail("cannot connect to " .. sock) end
    local function step(name, e, want)
        if e ~= nil then fail(name .. ": " .. e) end
        local r = mt.getreply(conn)
        if r ~= (want or SMFIR_CONTINUE) then fail(name .. ": reply " .. tostring(r)) end
    end
    mt.macro(conn, SMFIC_MAIL, "i", "OUTBOX1")
    step("MAIL FROM", mt.mailfrom(conn, "<relay-down@customer.test>"))
    step("RCPT TO", mt.rcptto(conn, "<desk@help.test>"))
    step("DATA", mt.data(conn))
    step("From", mt.header(conn, "From", "relay-down@customer.test"))
    step("Subject", mt.header(conn, "Subject", "while the relay is down"))
    step("Message-ID", mt.header(conn, "Message-ID", "<relay-down-1@customer.test>"))
    step("EOH", mt.eoh(conn))
    step("body", mt.bodystring(conn, "Hello.\r\n"))
    step("EOM", mt.eom(conn), SMFIR_DISCARD)
    mt.disconnect(conn)
end)
if not ok then
    mt.echo("FAIL: " .. tostring(err))
    error(err)
end
mt.echo("PASS")
