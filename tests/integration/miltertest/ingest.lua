-- ingest.lua - drive ticket-milter through whole transactions, as the MTA
-- does, and check its replies and actions. Run by t_miltertest.sh:
--   miltertest -D sock=inet:PORT@127.0.0.1 -D dir=THIS_DIR -s ingest.lua
dofile(dir .. "/lib.lua")

-- open - a connection through HELO and MAIL FROM
local function open(sender)
    local conn, step = connect()
    -- The milter asks for no CONNECT event: the client comes as macros.
    if not mt.test_option(conn, SMFIP_NOCONNECT) then fail("CONNECT was not negotiated away") end
    if not mt.test_option(conn, SMFIP_NOHELO) then
        mt.helo(conn, "client.customer.test")
    end
    mt.macro(conn, SMFIC_MAIL, "i", "MTQUEUE1", "{client_addr}", "192.0.2.10",
             "{client_name}", "client.customer.test")
    step("MAIL FROM", mt.mailfrom(conn, "<" .. sender .. ">"))
    return conn, step
end

-- finish - end of message: send EOM, return the milter's reply
local function finish(conn)
    local err = mt.eom(conn)
    if err ~= nil then fail("EOM: " .. err) end
    return mt.getreply(conn)
end

-- a whole support message: stored, then the MTA's copy discarded
local function support_message()
    local conn, step = open("alice@customer.test")
    step("RCPT TO", mt.rcptto(conn, "<support@help.test>"))
    step("DATA", mt.data(conn))
    step("From", mt.header(conn, "From", "Alice <alice@customer.test>"))
    step("To", mt.header(conn, "To", "support@help.test"))
    step("Subject", mt.header(conn, "Subject", "miltertest ticket"))
    step("Message-ID", mt.header(conn, "Message-ID", "<mt-1@customer.test>"))
    step("EOH", mt.eoh(conn))
    step("body", mt.bodystring(conn, "It is on fire.\r\n"))
    local r = finish(conn)
    if r ~= SMFIR_DISCARD then fail("EOM: want DISCARD (MtaCopy remove), got " .. tostring(r)) end
    mt.echo("ok support message stored, copy discarded")
    mt.disconnect(conn)
end

-- support and another recipient: the support recipient is deleted
local function mixed_message()
    local conn, step = open("bob@customer.test")
    step("RCPT TO support", mt.rcptto(conn, "<support@help.test>"))
    step("RCPT TO other", mt.rcptto(conn, "<bob@mbox.test>"))
    step("DATA", mt.data(conn))
    step("Message-ID", mt.header(conn, "Message-ID", "<mt-2@customer.test>"))
    step("EOH", mt.eoh(conn))
    step("body", mt.bodystring(conn, "Two recipients.\r\n"))
    local r = finish(conn)
    if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then fail("EOM: reply " .. tostring(r)) end
    if not mt.eom_check(conn, MT_RCPTDELETE, "<support@help.test>") then
        fail("the support recipient was not deleted")
    end
    if mt.eom_check(conn, MT_RCPTDELETE, "<bob@mbox.test>") then
        fail("the other recipient was deleted")
    end
    mt.echo("ok mixed recipients: support recipient removed, other kept")
    mt.disconnect(conn)
end

-- no support recipient: accepted at DATA, nothing more asked
local function other_message()
    local conn, step = open("carol@customer.test")
    step("RCPT TO", mt.rcptto(conn, "<bob@mbox.test>"))
    step("DATA", mt.data(conn), SMFIR_ACCEPT)
    mt.echo("ok other mail accepted at DATA")
    mt.disconnect(conn)
end

local ok, err = pcall(function()
    support_message()
    mixed_message()
    other_message()
end)
if not ok then
    mt.echo("FAIL: " .. tostring(err))
    error(err)
end
mt.echo("PASS")
