#!/usr/bin/env bash
# t_language - the customer's language picks the built-in template:
# Content-Language, else Accept-Language, else the language known from an
# earlier message, else the queue's; an unknown language falls back to the
# queue's; the agents' notification is in the queue's language, its
# event line ({{event}}) too. Attacks:
# a header bomb of Content-Language fields, an absurdly long tag, a
# non-ASCII tag: stored, answered in the queue's language, no crash.
# Each mail is read where Postfix delivered it.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-language.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl queue add lang-en@help.test --name "Desk" --confirm always >/dev/null
ctl queue add lang-de@help.test --name "Hilfe" --confirm always --language de >/dev/null
ctl agent add lena@agents.test --queue lang-de@help.test --name "Lena" >/dev/null
milter_start "OutboxPoll 60" || { fail "ticket-milter starts" "see its log"; exit 1; }

# confirmation_to ADDRESS - the (newest) confirmation delivered to ADDRESS
confirmation_to() { outgoing_to "$1" | tail -n1; }
# language_mail FROM TO MSGID [HEADER...] - a new ticket; wait for its confirmation
language_mail() {
	local from=$1 to=$2 id=$3; shift 3
	mail "$from" "$to" "Question $id" "$id" "$@"
	wait_for 15 bash -c "grep -rlsi '^X-Original-To: $from\$' '$PF_OUTGOING/new' | xargs -r grep -lF '<$id>' | grep -q ."
}
# text_of FILE - the body, quoted-printable decoded
text_of() { python3 -c 'import email, sys; m = email.message_from_binary_file(open(sys.argv[1], "rb")); print(m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8"))' "$1"; }
# answered ID WANT LANG NAME - the confirmation of message ID says WANT, in LANG
answered() {
	local f
	f=$(grep -rlsF "<$1>" "$PF_OUTGOING/new" | xargs -r grep -li '^Auto-Submitted: auto-replied' | head -n1)
	if [ -z "$f" ]; then
		fail "$4" "no confirmation of <$1> delivered"
		return
	fi
	check "$4" grep -qF "$2" <<<"$(text_of "$f")"
	check_eq "... Content-Language: $3" "$3" "$(header "$f" Content-Language)"
}

language_mail de@customer.test lang-en@help.test l-de@customer.test "Content-Language: de-DE"
answered l-de@customer.test "vielen Dank für Ihre Nachricht" de "Content-Language: de picks the German confirmation in an English queue"
language_mail fr@customer.test lang-en@help.test l-fr@customer.test "Accept-Language: fr-CA, en;q=0.5"
answered l-fr@customer.test "merci pour votre message" fr "no Content-Language: Accept-Language fr-CA picks the French one"
language_mail es@customer.test lang-en@help.test l-es@customer.test "Content-Language: es" "Accept-Language: de"
answered l-es@customer.test "Gracias por su mensaje" es "Content-Language es comes before Accept-Language de"
language_mail pt@customer.test lang-de@help.test l-pt@customer.test "Content-Language: pt-BR"
answered l-pt@customer.test "obrigado pela sua mensagem" pt "Content-Language pt-BR picks the Portuguese one in a German queue"
language_mail ja@customer.test lang-de@help.test l-ja@customer.test "Content-Language: ja"
answered l-ja@customer.test "vielen Dank für Ihre Nachricht" de "an unknown language (ja) falls back to the queue's (de)"
language_mail none@customer.test lang-en@help.test l-none@customer.test
answered l-none@customer.test "thank you for your message" en "no language header: the queue's (en)"
check_eq "the customer's language is kept on the contact" "de|fr|es|pt|ja|" \
	"$(sql "SELECT string_agg(coalesce(language, ''), '|' ORDER BY array_position(ARRAY['de','fr','es','pt','ja','none'], split_part(address, '@', 1))) FROM contacts WHERE address IN ('de@customer.test', 'fr@customer.test', 'es@customer.test', 'pt@customer.test', 'ja@customer.test', 'none@customer.test')")"
language_mail fr@customer.test lang-en@help.test l-fr-2@customer.test
answered l-fr-2@customer.test "merci pour votre message" fr "a later message without a language: the one known from before (fr)"
language_mail fr@customer.test lang-en@help.test l-fr-3@customer.test "Content-Language: es-ES"
answered l-fr-3@customer.test "Gracias por su mensaje" es "a message in another language: that one (es)"
check_eq "... which the contact keeps now" "es" "$(sql "SELECT language FROM contacts WHERE address = 'fr@customer.test'")"
check "the agents' notification is in the queue's language (de)" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: lena@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l '^Betreff: Question l-pt@customer.test' | grep -q ."
lena_mail=$(grep -rlsi '^X-Original-To: lena@agents.test' "$PF_OUTGOING/new" | xargs -r grep -l '^Betreff: Question l-pt@customer.test' | head -n1)
check "... its event line too (Neues Ticket, not New ticket)" grep -q "^Neues Ticket in Hilfe" <<<"$(text_of "${lena_mail:-/dev/null}")"

# Attacks: the tag is the sender's to write. Too long, not ASCII, or
# thousands of fields: the queue's language, the message stored, no crash.
long=$(head -c 1000 /dev/zero | tr '\0' 'd')
language_mail long@customer.test lang-de@help.test l-long@customer.test "Content-Language: $long"
answered l-long@customer.test "vielen Dank für Ihre Nachricht" de "a 1000-letter Content-Language tag: the queue's language"
language_mail long-al@customer.test lang-en@help.test l-long-al@customer.test "Accept-Language: ${long}e-x, de"
answered l-long-al@customer.test "thank you for your message" en "a 1000-letter Accept-Language tag: the queue's language"
language_mail utf@customer.test lang-en@help.test l-utf@customer.test "Content-Language: dé, 日本語" "Accept-Language: ès"
answered l-utf@customer.test "thank you for your message" en "non-ASCII tags: the queue's language"
f=$work/bomb.eml
{
	printf 'From: bomb@customer.test\r\nTo: lang-de@help.test\r\nSubject: Question l-bomb\r\nMessage-ID: <l-bomb@customer.test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n'
	for i in $(seq 2500); do printf 'Content-Language: %s-%d\r\n' "${long:0:300}" "$i"; done
	printf '\r\nHello.\r\n'
} >"$f"
send --from bomb@customer.test --to lang-de@help.test --data "@$f" >/dev/null 2>&1
check_eq "a bomb of 2500 Content-Language fields is stored" "1" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'l-bomb@customer.test'")"
check "... its confirmation is in the queue's language" wait_for 15 bash -c \
	"grep -rlsF '<l-bomb@customer.test>' '$PF_OUTGOING/new' | xargs -r grep -li '^Content-Language: de' | grep -q ."
check_eq "no bogus language is kept for these senders" "0" \
	"$(sql "SELECT count(*) FROM contacts WHERE address IN ('long@customer.test', 'long-al@customer.test', 'utf@customer.test', 'bomb@customer.test') AND language IS NOT NULL")"
language_mail after@customer.test lang-en@help.test l-after@customer.test "Content-Language: de"
answered l-after@customer.test "vielen Dank für Ihre Nachricht" de "the daemon still answers afterwards"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
