# sqltest.sh - for tests/sql/: call the SQL functions the way the daemon
# does, with psql against a database of the private cluster, no Postfix.

# sql_conf DB WORKDIR - a ticketctl config for database DB; prints its path
sql_conf() {
	printf 'Socket inet:1@127.0.0.1\nDatabase host=127.0.0.1 port=%s user=ticket dbname=%s\n' \
		"$PG_PORT" "$1" >"$2/$1.conf"
	echo "$2/$1.conf"
}

# sql_ingest DB META - store one message with DB's ingest_message(); prints its answer
sql_ingest() {
	psql -X -q -At -v ON_ERROR_STOP=1 -v meta="$2" -d "$1" \
		<<<"SELECT ingest_message(:'meta'::jsonb, convert_to('raw', 'UTF8'), ''::bytea);"
}

# sql_meta QUEUE FROM MESSAGE-ID SUBJECT [JSON-MEMBERS] - the meta of a plain
# customer message, as the daemon writes it; JSON-MEMBERS ("key": value, ...)
# replace or add members
sql_meta() {
	jq -c --argjson extra "{${5:-}}" '. + $extra' <<EOF2
{"queues": ["$1"], "tokens": [], "envelope_sender": "$2", "envelope_recipients": ["$1"],
 "message_id": "$3", "in_reply_to": null, "thread_ids": [], "references": [],
 "subject": "$4", "subject_normalized": "$4", "from_address": "$2", "from_name": null,
 "to": [{"name": null, "address": "$1"}], "cc": [], "kind": "customer", "digest": "$3",
 "attachments": [], "facts": {}, "limits": {}, "agent_proof": {}, "sender_authenticated": false,
 "text": "hello", "reply_text": "hello", "reopen_seconds": 604800, "number_format": "{seq}",
 "recipient_delimiter": "+"}
EOF2
}
