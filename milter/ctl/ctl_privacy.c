/*++
/* NAME
/*	ctl_privacy 3
/* SUMMARY
/*	ticketctl privacy: a data subject's copy, and erasure
/* SYNOPSIS
/*	ticketctl privacy export ADDRESS -o FILE.tar
/*	ticketctl privacy erase ADDRESS [--dry-run] [--json]
/* DESCRIPTION
/*	privacy export writes a tar (pax) of everything stored about the
/*	person with ADDRESS (any case) to a new FILE, or to standard output
/*	with "-o -": contact.json, tickets.json (with each ticket's events),
/*	outbox.json, messages.json, messages/ID.eml (the original bytes of
/*	each message they sent or that was sent to them), attachments/ID-NAME,
/*	and index.json, which says what each file is. It reads one snapshot
/*	of the database, and copies the originals and attachments in pieces
/*	of STREAM_PIECE bytes, so its memory does not grow with them.
/*
/*	privacy erase removes the person (privacy_erase() in SQL); --dry-run
/*	reports what it would change and rolls back. Both are recorded in the
/*	audit log by the keyed hash of the address, never the address.
/*--*/

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* External libraries. */
#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define PRIVACY_USAGE "privacy export ADDRESS -o FILE.tar\n" \
		      "       ticketctl privacy erase ADDRESS [--dry-run] [--json]"
#define STREAM_PIECE	(1024 * 1024)

/* archive_add_header - the header of one file of the tar; 1 if written */

static int archive_add_header(struct archive *ar, const char *path, gint64 size)
{
    struct archive_entry *entry = archive_entry_new();
    int     ok;

    archive_entry_set_pathname(entry, path);
    archive_entry_set_size(entry, (la_int64_t) size);
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0600);
    archive_entry_set_mtime(entry, time(NULL), 0);
    ok = archive_write_header(ar, entry) == ARCHIVE_OK;
    archive_entry_free(entry);
    return (ok);
}

/* archive_add_bytes - one file of the tar from memory; -1 on an error */

static int archive_add_bytes(struct archive *ar, const char *path, const char *data, size_t len)
{
    int     ok = archive_add_header(ar, path, (gint64) len)
    && (len == 0 || archive_write_data(ar, data, len) == (la_ssize_t) len);

    return (ok ? 0 : -1);
}

/* archive_add_stored - one file of the tar from a bytea column, copied
 * in pieces (SQL: $1 the row's id, $2 the 1-based offset, $3 the length) */

static int archive_add_stored(PGconn *conn, struct archive *ar, const char *path,
			              const char *piece_sql, const char *id, gint64 size)
{
    int     ok = archive_add_header(ar, path, size);

    for (gint64 done = 0; ok && done < size; done += STREAM_PIECE) {
	char    offset[32], length[32];
	const char *params[3] = {id, offset, length};
	PGresult *res;

	snprintf(offset, sizeof(offset), "%" G_GINT64_FORMAT, done + 1);
	snprintf(length, sizeof(length), "%d", STREAM_PIECE);
	res = PQexecParams(conn, piece_sql, 3, 0, params, 0, 0, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
	    ctl_fail("%s: %s", path, PQresultErrorMessage(res));
	    ok = 0;
	} else {
	    la_ssize_t len = PQgetlength(res, 0, 0);

	    ok = len > 0 && archive_write_data(ar, PQgetvalue(res, 0, 0), (size_t) len) == len;
	}
	PQclear(res);
    }
    return (ok ? 0 : -1);
}

/* export_file - one file named in the index: JSON, an original, an attachment */

static int export_file(PGconn *conn, struct archive *ar, JsonObject *file)
{
    const char *path = json_object_get_string_member(file, "path");
    char    id[32];

    if (json_object_has_member(file, "json")) {
	gchar  *text = json_to_string(json_object_get_member(file, "json"), TRUE);
	int     rc = archive_add_bytes(ar, path, text, strlen(text));

	g_free(text);
	json_object_remove_member(file, "json");
	return (rc);
    }
    if (json_object_has_member(file, "message")) {
	snprintf(id, sizeof(id), "%" G_GINT64_FORMAT, json_object_get_int_member(file, "message"));
	return (archive_add_stored(conn, ar, path,
			      "SELECT substring(raw FROM $2::integer FOR $3::integer) FROM messages WHERE id = $1",
				   id, json_object_get_int_member(file, "size")));
    }
    snprintf(id, sizeof(id), "%" G_GINT64_FORMAT, json_object_get_int_member(file, "attachment"));
    return (archive_add_stored(conn, ar, path,
			       "SELECT substring(b.content FROM $2::integer FOR $3::integer)"
			       " FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1",
			       id, json_object_get_int_member(file, "size")));
}

/* export_open - the tar writer on a new file, or standard output for "-" */

static struct archive *export_open(const char *path)
{
    struct archive *ar = archive_write_new();
    int     fd = strcmp(path, "-") == 0 ? STDOUT_FILENO
    : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0) {
	ctl_fail("cannot create %s: %s", path, strerror(errno));
	archive_write_free(ar);
	return (NULL);
    }
    archive_write_set_format_pax_restricted(ar);
    if (archive_write_open_fd(ar, fd) != ARCHIVE_OK) {
	ctl_fail("%s: %s", path, archive_error_string(ar));
	archive_write_free(ar);
	return (NULL);
    }
    return (ar);
}

/* privacy_export - everything stored about a person, as a tar */

static int privacy_export(PGconn *conn, int argc, char **argv)
{
    const char *out = ctl_option(&argc, argv, "-o");
    JsonParser *parser;
    JsonObject *index;
    JsonArray *files;
    struct archive *ar;
    PGresult *res;
    gchar  *text;
    int     status = 0;

    if (argc != 3 || out == NULL)
	return (ctl_usage("privacy export ADDRESS -o FILE.tar"));
    if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
	return (ctl_fail("will not write a tar to a terminal: redirect it, or give -o FILE.tar"));
    const char *params[1] = {argv[2]};

    /* The record comes first, and stays whatever happens next. */
    ctl_audit_address(conn, "privacy export", argv[2]);
    /* One snapshot for the index and every byte it names. */
    PQclear(ctl_query(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, 0));
    res = ctl_query(conn, "SELECT privacy_export_index($1)", 1, params);
    parser = json_parser_new();
    json_parser_load_from_data(parser, PQgetvalue(res, 0, 0), -1, NULL);
    PQclear(res);
    index = json_node_get_object(json_parser_get_root(parser));
    files = json_object_get_array_member(index, "files");
    if ((ar = export_open(out)) == NULL) {
	status = 1;
    } else {
	for (guint i = 0; status == 0 && i < json_array_get_length(files); i++)
	    if (export_file(conn, ar, json_array_get_object_element(files, i)) < 0)
		status = ctl_fail("%s: cannot write %s: %s", out,
				  json_object_get_string_member(json_array_get_object_element(files, i), "path"),
				  archive_error_string(ar) ? archive_error_string(ar) : "database");
	json_object_remove_member(index, "address_hash");
	text = json_to_string(json_parser_get_root(parser), TRUE);
	if (status == 0 && archive_add_bytes(ar, "index.json", text, strlen(text)) < 0)
	    status = ctl_fail("%s: cannot write index.json: %s", out, archive_error_string(ar));
	if (archive_write_close(ar) != ARCHIVE_OK && status == 0)
	    status = ctl_fail("%s: %s", out, archive_error_string(ar));
	archive_write_free(ar);
	g_free(text);
	/* No half copy is left behind under the name asked for. */
	if (status != 0 && strcmp(out, "-") != 0)
	    unlink(out);
    }
    PQclear(ctl_query(conn, "COMMIT", 0, 0));
    if (status == 0 && strcmp(out, "-") != 0)
	printf("wrote %s: %u file(s) and index.json\n", out, json_array_get_length(files));
    g_object_unref(parser);
    return (status);
}

/* print_erase - the outcome of an erasure, in words */

static void print_erase(PGresult *res, int dry_run)
{
    printf("%s: %s message(s), %s attachment(s), %s stored file(s), %s outbox row(s),"
	   " %s ticket(s) deleted, %s ticket(s) kept and marked, contact %s;"
	   " [erased] in %s message(s) and %s event(s) of others\n",
	   dry_run ? "would erase" : "erased",
	   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
	   PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
	   strcmp(PQgetvalue(res, 0, 6), "true") == 0 ? "removed" : "none",
	   PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 8));
    printf("address hash %s%s\n", PQgetvalue(res, 0, 9), PQgetvalue(res, 0, 10));
    if (dry_run)
	puts("dry run: nothing was changed");
}

/* privacy_erase - remove a person; --dry-run rolls back */

static int privacy_erase(PGconn *conn, int argc, char **argv)
{
    int     dry_run = ctl_flag(&argc, argv, "--dry-run");
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("privacy erase ADDRESS [--dry-run] [--json]"));
    const char *params[2] = {argv[2], dry_run ? "true" : "false"};

    PQclear(ctl_query(conn, "BEGIN", 0, 0));
    res = ctl_query(conn,
		    "WITH e AS (SELECT privacy_erase($1) AS r), c AS (SELECT r->'counts' AS c FROM e)"
		    " SELECT c->>'messages', c->>'attachments', c->>'blobs', c->>'outbox',"
		    "  c->>'tickets_deleted', c->>'tickets_marked', c->>'contact', c->>'messages_scrubbed',"
		    "  c->>'events_scrubbed', r->>'address_hash',"
		    "  CASE WHEN jsonb_array_length(r->'earlier') = 0 THEN ''"
		    "   ELSE format(' (erased before: %s time(s), last %s by %s)', jsonb_array_length(r->'earlier'),"
		    "    r->'earlier'->-1->>'at', r->'earlier'->-1->>'by') END,"
		    "  (r || jsonb_build_object('dry_run', $2::boolean))::text FROM e, c",
		    2, params);
    PQclear(ctl_query(conn, dry_run ? "ROLLBACK" : "COMMIT", 0, 0));
    if (dry_run) {
	ctl_audit(conn, "privacy erase --dry-run", "address-hash", PQgetvalue(res, 0, 9), NULL);
    }
    if (json)
	ctl_print_json_text(PQgetvalue(res, 0, 11));
    else
	print_erase(res, dry_run);
    PQclear(res);
    return (0);
}

const char ctl_privacy_usage[] = PRIVACY_USAGE;

/* ctl_privacy - dispatch "privacy" subcommands */

int     ctl_privacy(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
	return (privacy_export(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "erase") == 0)
	return (privacy_erase(conn, argc, argv));
    return (ctl_usage(PRIVACY_USAGE));
}
