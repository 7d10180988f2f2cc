#!/usr/bin/env bash
# t_privacy - personal data through ticketctl against the real services:
# privacy export (a tar with every stored original, attachment and fact,
# index.json), privacy erase (pg_dump afterwards holds neither the address
# nor a phrase of the person's; a repeated request is known by its hash;
# a message of the person arriving during the erasure is stored whole),
# and the audit log (recorded reads, OS user, append-only, no address).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-privacy.XXXXXX)
trap "${KEEP:+:} rm -rf \"\$work\"" EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
me=$(id -un)
zelda=zelda.quinn@privacy-cust.test
milter_start
queue_add privacy@help.test --name Privacy --confirm always

# Zelda's first mail: a distinctive phrase and an attachment.
crlf >"$work/sent.eml" <<MSG
From: Zelda Quinn <Zelda.Quinn@Privacy-Cust.test>
To: privacy@help.test
Subject: zq printer
Message-ID: <zq1@privacy-cust.test>
Date: Sat, 28 Nov 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

zebrafinch-marmalade-7731 is my phrase.
--b1
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

quokka-attachment-4417 only in her file
--b1--
MSG
send --from Zelda.Quinn@Privacy-Cust.test --to privacy@help.test --data "@$work/sent.eml"
check_eq "Zelda's mail is stored" 1 "$(count_msgid zq1@privacy-cust.test)"
# Her follow-up carries a file of 2.5 MB: the export copies it in pieces.
head -c 2621440 /dev/urandom >"$work/big.bin"
send --from $zelda --to privacy@help.test --header "Subject: Re: zq printer" \
	--header "In-Reply-To: <zq1@privacy-cust.test>" --header "Message-Id: <zq2@privacy-cust.test>" \
	--body "the log file" --attach-type application/octet-stream --attach-name big.bin --attach "@$work/big.bin"
check_eq "her follow-up with the big file is stored" 1 "$(count_msgid zq2@privacy-cust.test)"
# Otto's mail names her (address, name) and a look-alike address, with his own phrase.
BODY="otter-phrase-5512: ask Zelda Quinn at $zelda, not zeldaXquinn@privacy-cust.test." \
	mail "Otto Other <otto@privacy-cust.test>" privacy@help.test "otto question" zq-otto@privacy-cust.test \
	"Cc: Zelda Quinn <$zelda>"
check_eq "Otto's mail is stored" 1 "$(count_msgid zq-otto@privacy-cust.test)"
zid=$(sql "SELECT id FROM messages WHERE message_id = 'zq1@privacy-cust.test'")
zticket=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.id = $zid")
oticket=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'zq-otto@privacy-cust.test'")
check "her confirmation is sent" wait_for 15 bash -c \
	"[ \"\$(psql -X -At -c \"SELECT count(*) FROM outbox WHERE recipient ILIKE '$zelda' AND status = 'sent'\")\" = 1 ]"

# Export: every file the index names, the original byte for byte.
ctl privacy export ZELDA.Quinn@privacy-cust.TEST -o "$work/z.tar" >"$work/out" 2>&1
check "privacy export (any case) writes the tar" grep -q "^wrote $work/z.tar" "$work/out"
mkdir "$work/x" && tar -xf "$work/z.tar" -C "$work/x"
check "index.json is valid JSON" jq -e '.files | length > 0' "$work/x/index.json"
check_eq "index.json names every other file of the tar" \
	"$(tar -tf "$work/z.tar" | grep -v '^index.json$' | sort)" "$(jq -r '.files[].path' "$work/x/index.json" | sort)"
check "each file says what it is" jq -e 'all(.files[]; (.what | length) > 10)' "$work/x/index.json"
check "the tar holds her original" test -f "$work/x/messages/$zid.eml"
check_eq "... byte for byte as stored" "$(stored_raw zq1@privacy-cust.test | sha256sum)" "$(sha256sum <"$work/x/messages/$zid.eml")"
# (swaks ends the data with one more CRLF)
check "... and exactly what was sent" cmp <(head -c "$(stat -c %s "$work/sent.eml")" "$work/x/messages/$zid.eml") "$work/sent.eml"
check "her confirmation, as sent, is there too" grep -lq "^In-Reply-To: <zq1@privacy-cust.test>" "$work"/x/messages/*.eml
check "her attachment is there" grep -rq "quokka-attachment-4417" "$work/x/attachments"
check_eq "the big file, copied in pieces, is whole" "$(sha256sum <"$work/big.bin")" "$(cat "$work"/x/attachments/*-big.bin | sha256sum)"
check_eq "contact.json has her name" "Zelda Quinn" "$(jq -r .name "$work/x/contact.json")"
check_eq "tickets.json: her ticket as customer, Otto's as participant" "customer participant" \
	"$(jq -r --arg z "$zticket" --arg o "$oticket" '[(.[] | select(.number == $z) | .role), (.[] | select(.number == $o) | .role)] | join(" ")' "$work/x/tickets.json")"
check "tickets.json holds the events" jq -e '.[0].events | length > 0' "$work/x/tickets.json"
check_eq "outbox.json has her confirmation" confirmation "$(jq -r '.[0].kind' "$work/x/outbox.json")"
check "Otto's mail that names her is in it too" grep -q "otter-phrase-5512" "$work/x/messages.json"
check "export -o - writes the tar to standard output" bash -c "'$TM_BUILD/ticketctl' -c '$TM_CONF' privacy export $zelda -o - | tar -t | grep -qx index.json"
echo keep >"$work/existing"
ctl privacy export $zelda -o "$work/existing" >"$work/out" 2>&1
check_eq "export refuses to overwrite a file" "1 keep" "$? $(cat "$work/existing")"
ln -s "$work/existing" "$work/link"
ctl privacy export $zelda -o "$work/link" >/dev/null 2>&1
check_eq "... or to follow a symbolic link" "1 keep" "$? $(cat "$work/existing")"
ctl privacy export nobody@privacy-cust.test -o "$work/none.tar" >/dev/null 2>&1
check_eq "export of an unknown address: no messages" 0 "$(tar -xOf "$work/none.tar" index.json | jq '[.files[] | select(.path | startswith("messages/"))] | length')"

# Audit: reads of personal data are recorded with the OS user.
ctl ticket show "$zticket" >/dev/null
ctl message show "$zid" --raw >/dev/null
ctl message replay "$zid" --dry-run >/dev/null
aid=$(sql "SELECT a.id FROM attachments a WHERE a.msg_id = $zid LIMIT 1")
ctl attachment get "$aid" -o - >/dev/null
ctl audit list --json --since 1h >"$work/audit.json"
for want in "ticket show:ticket:$zticket" "message show --raw:message:$zid" "message replay:message:$zid" \
	"attachment get:attachment:$aid" "privacy export:address-hash:"; do
	check "audit records ${want%%:*}" jq -e --arg c "${want%%:*}" --arg o "${want#*:}" --arg u "$me" \
		'any(.[]; .command == $c and (.object | startswith($o)) and .os_user == $u)' "$work/audit.json"
done
check "audit list prints a line per record" bash -c "'$TM_BUILD/ticketctl' -c '$TM_CONF' audit list | grep -q ' ticket show '"
ctl audit list --since yesterday-ish >/dev/null 2>&1
check_eq "audit list refuses a wrong --since" 1 "$?"
check_eq "no audit record holds the address" 0 "$(sql "SELECT count(*) FROM audit_log WHERE audit_log::text ILIKE '%zelda%'")"
for attack in "UPDATE audit_log SET os_user = 'someone'" "DELETE FROM audit_log" "TRUNCATE audit_log" \
	"DELETE FROM erasures"; do
	psql -X -q -c "$attack" >/dev/null 2>&1
	check_eq "the database refuses: $attack" 1 "$?"
done
check "each record names the database role too" bash -c \
	"[ \"\$(psql -X -At -c \"SELECT db_user FROM audit_log ORDER BY id DESC LIMIT 1\")\" = ticket ]"

# Erase, dry run: reports, changes nothing.
before=$(sql "SELECT count(*) FROM messages")
ctl privacy erase $zelda --dry-run >"$work/out" 2>&1
check "erase --dry-run says what it would do" grep -q "^would erase: 3 message(s), 2 attachment(s), 2 stored file(s)" "$work/out"
check_eq "... and changes nothing" "$before 1" "$(sql "SELECT count(*) FROM messages") $(sql "SELECT count(*) FROM contacts WHERE address = '$zelda'")"

# Erase while a late mail of hers comes in: the erasure holds its locks
# for 3 s; the mail waits, then is stored whole after it.
psql -X -q -v ON_ERROR_STOP=1 >"$work/held" 2>&1 <<SQL &
SELECT set_config('tm.os_user', 'tester', false);
BEGIN;
SELECT privacy_erase('$zelda');
SELECT pg_sleep(3);
COMMIT;
SQL
held=$!
sleep 1
BODY="late-arrival-8823 came during the erasure." \
	mail "Zelda Quinn <$zelda>" privacy@help.test "late one" zq-late@privacy-cust.test
check_eq "her mail sent during the erasure is accepted" 0 "$?"
wait "$held"
check_eq "the held erasure committed" 0 "$?"
check_eq "... and the late mail is stored once, after it" 1 \
	"$(sql "SELECT count(*) FROM messages m WHERE message_id = 'zq-late@privacy-cust.test' AND received_at >= (SELECT max(at) FROM erasures)")"
check_eq "... whole: its ticket, contact and original" 1 \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN contacts c ON c.id = t.customer_id WHERE m.message_id = 'zq-late@privacy-cust.test' AND c.address = '$zelda' AND convert_from(m.raw, 'UTF8') LIKE '%late-arrival-8823%'")"
pg_dump --no-owner >"$work/dump1.sql"
for gone in zebrafinch-marmalade-7731 quokka-attachment-4417 zq1@privacy-cust; do
	check "after the erasure pg_dump holds no $gone" bash -c "! grep -qi '$gone' '$work/dump1.sql'"
done

# Erase again: the late mail goes, the request is known by its hash.
ctl privacy erase ZELDA.QUINN@privacy-cust.test >"$work/out" 2>&1
check "a repeated erasure is recognised" grep -q "(erased before: 1 time(s), last .* by tester)" "$work/out"
pg_dump --no-owner >"$work/dump2.sql"
for gone in "$zelda" late-arrival-8823 "Zelda Quinn"; do
	check "pg_dump holds no trace of \"$gone\"" bash -c "! grep -qiF '$gone' '$work/dump2.sql'"
done
check "Otto's own words stay" grep -q "otter-phrase-5512" "$work/dump2.sql"
check "a look-alike address is not erased (the address is no pattern)" grep -q "zeldaXquinn@privacy-cust.test" "$work/dump2.sql"
check_eq "Otto's ticket stays, marked, with [erased] in her place" "1 1" \
	"$(sql "SELECT count(*) FROM tickets WHERE number = '$oticket' AND erased_at IS NOT NULL") $(sql "SELECT count(*) FROM messages WHERE message_id = 'zq-otto@privacy-cust.test' AND body_text LIKE '%ask [erased] at [erased]%'")"
check_eq "every stored size is still the length of the original" 0 "$(sql "SELECT count(*) FROM messages WHERE size <> length(raw)")"
check_eq "her own tickets are gone" 0 "$(sql "SELECT count(*) FROM tickets WHERE number = '$zticket'")"
check_eq "two erasure records, by the same hash, no address" "2 1" \
	"$(sql "SELECT count(*) FROM erasures WHERE address_hash = (SELECT privacy_hash('$zelda'))") $(sql "SELECT count(DISTINCT address_hash) FROM erasures")"
check "the erasure is in the audit log by hash" bash -c \
	"'$TM_BUILD/ticketctl' -c '$TM_CONF' audit list --json | jq -e 'any(.[]; .command == \"privacy erase\" and (.object | startswith(\"address-hash:\")))'"
check "the milter's log is clean" milter_log_clean
milter_stop
