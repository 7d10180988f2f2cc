#!/usr/bin/env bash
# t_retention - ticketctl queue set --retention-days and ticketctl purge:
# closed tickets past their queue's retention go with everything that is
# theirs alone, while the daemon stores mail through the private Postfix
# into the same tables; nothing live is lost or deleted, no message is
# tempfailed, a ticket held or reopened meanwhile stays, and nothing is
# left pointing at what went (merged and linked tickets, shared
# attachment contents, contacts).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-retention.XXXXXX)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; milter_stop; rm -rf "$work"' EXIT
# The old tickets may be reopened by a reply: a purge must see that.
milter_start "VerifySenders no
ReopenWindow 400d" || { fail "ticket-milter starts" "see its log"; exit 1; }
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
log_from=$(($(stat -c %s "$log") + 1))	# this test's part of the shared log
OLD=3000	# old tickets made in SQL
LOAD=240	# live messages sent while the purge runs
Q=keep@retention.test	# no retention
R=ret@retention.test	# 30 days
ticket_of() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }

# --- queue set --retention-days, queue list ---
queue_add "$Q" --name Keep || fail "queue add $Q"
queue_add "$R" --name Ret || fail "queue add $R"
check "queue set --retention-days 30" ctl queue set $R --retention-days 30
check_eq "queue list --json shows the retention" "30" \
	"$(ctl queue list --json | jq -r --arg q "$R" '.[] | select(.address == $q) | .retention_days')"
check_eq "a queue without one keeps its tickets for ever (null)" "null" \
	"$(ctl queue list --json | jq -r --arg q "$Q" '.[] | select(.address == $q) | .retention_days')"
check "queue list names the retention" grep -q "^$R .*purged 30 days after closing" <<<"$(ctl queue list)"
ctl queue set "$Q" --retention-days abc >/dev/null 2>&1
check_eq "--retention-days abc: refused (exit 1)" "1" "$?"
ctl queue set "$Q" --retention-days -3 >/dev/null 2>&1
check_eq "--retention-days -3: refused (exit 1)" "1" "$?"
ctl queue set "$Q" --retention-days 7 >/dev/null && ctl queue set "$Q" --retention-days none >/dev/null
check_eq "--retention-days none: for ever again" "" "$(sql "SELECT retention_days FROM queues WHERE address = '$Q'")"
ctl queue set "$Q" --retention-days 0 >/dev/null
check_eq "--retention-days 0: for ever" "" "$(sql "SELECT retention_days FROM queues WHERE address = '$Q'")"

# --- tickets through the daemon: live ones, and some made old ---
logo=$(printf 'shared logo' | base64)
# with_logo FROM TO SUBJECT MSGID [CONTENT] - a message with one attachment
with_logo() {
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="logo.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n' \
		"$1" "$2" "$3" "$4" "${5:-$logo}"
}
with_logo alice@live.test $R "live with logo" live-logo@live.test >"$work/live-logo.eml"
send --from alice@live.test --to $R --data "@$work/live-logo.eml"
with_logo olga@old.test $R "old with own file" old-file@old.test "$(printf 'only old' | base64)" >"$work/old-file.eml"
send --from olga@old.test --to $R --data "@$work/old-file.eml"
mail "Bea <bea@both.test>" $R "old of a returning customer" old-bea@both.test
mail "Bea <bea@both.test>" $R "live of a returning customer" live-bea@both.test
mail mia@merge.test $R "merged into" merge-dst@merge.test
mail mia@merge.test $R "merged from" merge-src@merge.test
mail max@merge.test $R "merged into an open one" open-dst@merge.test
mail max@merge.test $R "merged from, into an open one" open-src@merge.test
mail otto@link.test $R "linked to" link-old@link.test
mail otto@link.test $R "linking" link-new@link.test
mail rita@race.test $R "reopened by a reply while purging" race-reply0@race.test
mail sam@held.test $R "held while purging" held@held.test
mail una@held.test $R "reopened by hand while purging" reopen@held.test
mail vic@auto.test $R "answered by a machine after closing" auto@auto.test
mail kim@keep.test "$Q" "old in a queue without retention" keep-old@keep.test
mail ron@recent.test $R "closed recently" recent@recent.test
for id in live-logo@live.test old-file@old.test old-bea@both.test live-bea@both.test merge-dst@merge.test \
	merge-src@merge.test open-dst@merge.test open-src@merge.test link-old@link.test link-new@link.test \
	race-reply0@race.test held@held.test reopen@held.test auto@auto.test keep-old@keep.test recent@recent.test; do
	[ -n "$(ticket_of "$id")" ] || fail "message $id stored" "no ticket"
done
t_logo=$(ticket_of live-logo@live.test) t_file=$(ticket_of old-file@old.test)
t_bea_old=$(ticket_of old-bea@both.test) t_bea=$(ticket_of live-bea@both.test)
t_dst=$(ticket_of merge-dst@merge.test) t_src=$(ticket_of merge-src@merge.test)
t_odst=$(ticket_of open-dst@merge.test) t_osrc=$(ticket_of open-src@merge.test)
t_lold=$(ticket_of link-old@link.test) t_lnew=$(ticket_of link-new@link.test)
t_race=$(ticket_of race-reply0@race.test) t_held=$(ticket_of held@held.test)
t_reopen=$(ticket_of reopen@held.test) t_keep=$(ticket_of keep-old@keep.test)
t_recent=$(ticket_of recent@recent.test) t_auto=$(ticket_of auto@auto.test)
race_reply=$(ctl ticket show "$t_race" --json | jq -r .reply_address)
logo_sha=$(sql "SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.message_id = 'live-logo@live.test'")
check_eq "the attachment's content is stored under its SHA-256" \
	"$(printf 'shared logo' | sha256sum | cut -d' ' -f1)" "$logo_sha"

# Merges (as #merge does them), a link, and closing dates in the past.
sql "SELECT ticket_merge(s, d, 'test') FROM tickets s, tickets d WHERE s.number = '$t_src' AND d.number = '$t_dst'" >/dev/null
sql "SELECT ticket_merge(s, d, 'test') FROM tickets s, tickets d WHERE s.number = '$t_osrc' AND d.number = '$t_odst'" >/dev/null
sql "UPDATE tickets SET linked_ticket_id = (SELECT id FROM tickets WHERE number = '$t_lold') WHERE number = '$t_lnew'" >/dev/null
sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '100 days'
     WHERE number IN ('$t_file', '$t_bea_old', '$t_dst', '$t_lold', '$t_race', '$t_held', '$t_reopen', '$t_keep', '$t_auto')" >/dev/null
# Mail filed into a closed ticket without reopening it (an automatic
# reply) does not keep it: the count starts at closing.
mail vic@auto.test $R "Out of office" auto-reply@auto.test "In-Reply-To: <auto@auto.test>" "Auto-Submitted: auto-replied"
check_eq "an automatic reply to an old closed ticket is filed in it" "$t_auto" "$(ticket_of auto-reply@auto.test)"
check_eq "... and reopens nothing" "closed" "$(sql "SELECT status FROM tickets WHERE number = '$t_auto'")"
sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '5 days' WHERE number = '$t_recent'" >/dev/null
# The merged-from tickets were closed by the merge, now: they go with their ticket.
sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '100 days' WHERE number = '$t_osrc'" >/dev/null

# Many old tickets, made in SQL: a contact each, two messages, the shared
# logo on the first, an event, a participant, sent mail.
sql "INSERT INTO contacts (address) SELECT 'old-' || g || '@gone.test' FROM generate_series(1, $OLD) g;
INSERT INTO tickets (number, queue_id, subject, customer_id, status, created_at, closed_at)
  SELECT 'OLD' || g, q.id, 'old ' || g, c.id, 'closed', now() - interval '120 days', now() - interval '40 days'
  FROM generate_series(1, $OLD) g JOIN contacts c ON c.address = 'old-' || g || '@gone.test'
  JOIN queues q ON q.address = '$R';
INSERT INTO ticket_participants (ticket_id, contact_id, role)
  SELECT id, customer_id, 'customer' FROM tickets WHERE number LIKE 'OLD%';
INSERT INTO messages (ticket_id, message_id, subject, from_address, envelope_sender, envelope_recipients,
                      size, raw, body_text, digest, received_at)
  SELECT t.id, 'old-' || t.number || '-' || k || '@gone.test', t.subject, c.address, c.address,
         '{$R}', 20, convert_to('an old secret of ' || t.number, 'UTF8'),
         'an old secret', md5(t.number || k), now() - interval '120 days'
  FROM tickets t JOIN contacts c ON c.id = t.customer_id, generate_series(1, 2) k WHERE t.number LIKE 'OLD%';
INSERT INTO attachments (msg_id, position, filename, content_type, origin, size, sha256)
  SELECT m.id, 0, 'logo.bin', 'application/octet-stream', 'attachment', 11, '$logo_sha'
  FROM messages m WHERE m.message_id LIKE 'old-OLD%-1@gone.test';
INSERT INTO events (ticket_id, actor, action) SELECT id, 'test', 'created' FROM tickets WHERE number LIKE 'OLD%';
INSERT INTO outbox (ticket_id, cause_id, kind, recipient, message_id, language, status, sent_at)
  SELECT t.id, m.id, 'confirmation', m.from_address, 'ob-' || t.number || '@help.test', 'en', 'sent', now()
  FROM tickets t JOIN messages m ON m.ticket_id = t.id AND m.message_id LIKE '%-1@gone.test'
  WHERE t.number LIKE 'OLD%';" >/dev/null

# What is due: OLD old ones, the file's, Bea's old one, the merged pair,
# the linked-to one, the race's, the held, the reopened one, the one an
# automatic reply came to. Not: the
# queue without retention, the one closed 5 days ago, the open merge.
due_list="'$t_file', '$t_bea_old', '$t_dst', '$t_src', '$t_lold', '$t_race', '$t_held', '$t_reopen', '$t_auto'"
due=$((OLD + 9))
due_msgs=$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number LIKE 'OLD%' OR t.number IN ($due_list)")
kept_ids=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM tickets
	WHERE number NOT LIKE 'OLD%' AND number NOT IN ($due_list)")
kept_msgs=$(sql "SELECT count(*) FROM messages WHERE ticket_id IN ($kept_ids)")
kept_atts=$(sql "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.ticket_id IN ($kept_ids)")

# --- purge --dry-run ---
before=$(sql "SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM contacts)")
dry=$(ctl purge --dry-run)
check "purge --dry-run: per queue, the tickets due" grep -q "^queue $R (closed 30 days ago or longer): would delete $due ticket(s), $due_msgs message(s), $((OLD + 1)) attachment(s)\$" <<<"$dry"
check "purge --dry-run: a queue without retention is not named" bash -c "! grep -q '$Q' <<<'$dry'"
check_eq "purge --dry-run changes nothing" "$before" \
	"$(sql "SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM contacts)")"

# --- purge while mail is stored ---
# Live mail: half from the old tickets' customers (their contacts go
# while the daemon needs them), each with the logo the old ones share.
mkdir -p "$work/load"
for i in $(seq 1 "$LOAD"); do
	if [ $((i % 2)) = 0 ]; then from="old-$i@gone.test"; else from="new-$i@live.test"; fi
	with_logo "$from" $R "live $i" "load-$i@live.test" >"$work/load/$i.eml"
done
# Someone holds one due ticket, and another one is reopened by a
# transaction that has not committed yet, while the purge runs.
psql -X -q -At -v ON_ERROR_STOP=1 >"$work/holder.out" 2>&1 <<SQL &
BEGIN;
SELECT 1 FROM tickets WHERE number = '$t_held' FOR UPDATE;
UPDATE tickets SET status = 'open', closed_at = NULL WHERE number = '$t_reopen';
-- until the purge has deleted the old ones (at most 120 s: a purge
-- that waited for this transaction fails the test)
DO \$\$ BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM tickets WHERE number LIKE 'OLD%');
        PERFORM pg_sleep(0.2);
    END LOOP;
    PERFORM pg_sleep(1);
END \$\$;
COMMIT;
SQL
holder=$!
wait_for 10 bash -c "[ \$(psql -X -At -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FOR i IN 1..600%' AND state = 'active' AND pid <> pg_backend_pid()\") = 1 ]" \
	|| fail "the lock holder runs" "$(cat "$work/holder.out")"
python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT" --conns 4 --from load@live.test --to "$R" \
	--codes "$work/codes" "$work"/load/*.eml >"$work/load.out" 2>&1 &
load=$!
sleep 1
started=$(sql "SELECT now()")
mail rita@race.test "$race_reply" "Re: reopened by a reply while purging" race-reply@race.test &
reply=$!
ctl purge >"$work/purge.out" 2>&1
purge_rc=$?
ended=$(sql "SELECT now()")
kill -0 "$holder" 2>/dev/null
check_eq "purge does not wait for a ticket someone holds" "0" "$?"
wait "$reply" "$load"
check_eq "purge: exit 0" "0" "$purge_rc"
check "purge prints what it deleted per queue" grep -qE "^queue $R: deleted [0-9]+ ticket\(s\), [0-9]+ message\(s\), [0-9]+ attachment\(s\)\$" "$work/purge.out"
check "purge names the tickets left for the next run" grep -qE "; [1-9][0-9]* ticket\(s\) in use left for the next run\$" "$work/purge.out"
check_eq "live mail: all $LOAD answered 250" "$LOAD" "$(awk '$3 == 250' "$work/codes" | wc -l)"
check_eq "live mail: all $LOAD stored, once each" "$LOAD $LOAD" \
	"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'load-%'" | tr '|' ' ')"
check_eq "live mail: each with its attachment" "$LOAD" \
	"$(sql "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.msg_id JOIN blobs b ON b.sha256 = a.sha256 WHERE m.message_id LIKE 'load-%'")"
check_eq "live mail: each in a ticket with its customer" "$LOAD" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN contacts c ON c.id = t.customer_id WHERE m.message_id LIKE 'load-%' AND c.address = m.from_address")"
check "live mail was stored while the purge ran" test "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'load-%' AND received_at BETWEEN '$started' AND '$ended'")" -gt 0
check "the daemon tempfailed nothing" bash -c "! tail -c +$log_from '$log' | grep -i 'tempfail'"
wait "$holder"
holder=
check_eq "the reply during the purge: stored once" "1" "$(count_msgid race-reply@race.test)"
check_eq "the reply during the purge: in a ticket not closed (reopened, or new if its ticket went first)" "t" \
	"$(sql "SELECT t.status IN ('new', 'open') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'race-reply@race.test'")"

check_eq "the old tickets are gone" "0" "$(sql "SELECT count(*) FROM tickets WHERE number LIKE 'OLD%'")"
check_eq "their messages are gone" "0" "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE '%@gone.test'")"
check_eq "their events and sent mail are gone" "0 0" \
	"$(sql "SELECT (SELECT count(*) FROM events WHERE actor = 'test' AND action = 'created') || ' ' || (SELECT count(*) FROM outbox WHERE message_id LIKE 'ob-OLD%')")"
check_eq "the contacts with no ticket left are gone, those with live mail stay" "$((LOAD / 2))" \
	"$(sql "SELECT count(*) FROM contacts WHERE address LIKE 'old-%@gone.test'")"
check_eq "every one of those has a live ticket" "0" \
	"$(sql "SELECT count(*) FROM contacts c WHERE c.address LIKE 'old-%@gone.test' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)")"
check_eq "the old phrase is nowhere" "0" "$(sql "SELECT count(*) FROM messages WHERE body_text = 'an old secret'")"
check_eq "an attachment content only an old ticket had is gone" "0" \
	"$(sql "SELECT count(*) FROM blobs WHERE sha256 = '$(printf 'only old' | sha256sum | cut -d' ' -f1)'")"
check_eq "the content live mail shares stays" "1" "$(sql "SELECT count(*) FROM blobs WHERE sha256 = '$logo_sha'")"
check_eq "the closed ticket an automatic reply came to is gone, with it" "0 0" \
	"$(sql "SELECT (SELECT count(*) FROM tickets WHERE number = '$t_auto') || ' ' || (SELECT count(*) FROM messages WHERE message_id = 'auto-reply@auto.test')")"
check_eq "Bea's old ticket is gone, Bea stays" "0 1" \
	"$(sql "SELECT (SELECT count(*) FROM tickets WHERE number = '$t_bea_old') || ' ' || (SELECT count(*) FROM contacts WHERE address = 'bea@both.test')")"
check_eq "the merged pair is gone, both" "0" "$(sql "SELECT count(*) FROM tickets WHERE number IN ('$t_dst', '$t_src')")"
check_eq "a ticket merged into an open one stays with it" "2" "$(sql "SELECT count(*) FROM tickets WHERE number IN ('$t_odst', '$t_osrc')")"
check_eq "the ticket linked to a purged one stays, its link cleared" "1|" \
	"$(sql "SELECT count(*), max(linked_ticket_id) FROM tickets WHERE number = '$t_lnew'")"
check_eq "nothing live was deleted: tickets" "$(tr ',' '\n' <<<"$kept_ids" | wc -l)" "$(sql "SELECT count(*) FROM tickets WHERE id IN ($kept_ids)")"
check_eq "nothing live was deleted: messages" "$kept_msgs" "$(sql "SELECT count(*) FROM messages WHERE ticket_id IN ($kept_ids)")"
check_eq "nothing live was deleted: attachments" "$kept_atts" \
	"$(sql "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.ticket_id IN ($kept_ids)")"
check_eq "the queue without retention keeps its old ticket" "closed" "$(sql "SELECT status FROM tickets WHERE number = '$t_keep'")"
check_eq "the ticket reopened while the purge ran stays, open" "open" "$(sql "SELECT status FROM tickets WHERE number = '$t_reopen'")"
check_eq "the ticket held while the purge ran stays for the next run" "1" "$(sql "SELECT count(*) FROM tickets WHERE number = '$t_held'")"

# --- the next run ---
ctl purge >"$work/purge2.out" 2>&1
check "the next run deletes the held ticket" grep -qx "queue $R: deleted 1 ticket(s), 1 message(s), 0 attachment(s)" "$work/purge2.out"
check_eq "the held ticket is gone" "0" "$(sql "SELECT count(*) FROM tickets WHERE number = '$t_held'")"
check_eq "a run with nothing due" "nothing to purge" "$(ctl purge)"
check "purge --dry-run with nothing due names the queue with 0" \
	grep -q "^queue $R (closed 30 days ago or longer): would delete 0 ticket(s)" <<<"$(ctl purge --dry-run)"
ctl purge extra >/dev/null 2>&1
check_eq "purge with an argument: usage (exit 2)" "2" "$?"

milter_stop
audit=$(ctl audit list --json | jq -c '[.[] | select(.command == "purge")]')
check "each purge batch is in the audit log, by the OS user, with the counts per queue" \
	jq -e "length > 0 and all(.[]; .os_user == \"$(id -un)\" and (.detail.queues | length) > 0)" <<<"$audit"
check "no sanitizer or leak report in the milter log" milter_log_clean
