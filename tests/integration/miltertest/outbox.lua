-- outbox.lua - one support message straight into the milter (the MTA may
-- be down), for t_outbox.sh:
--   miltertest -D sock=inet:PORT@127.0.0.1 -D dir=THIS_DIR -s outbox.lua
dofile(dir .. "/lib.lua")

local ok, err = pcall(function()
    local conn, step = connect()
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
