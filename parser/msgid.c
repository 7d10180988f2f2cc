/*++
/* NAME
/*	msgid 3
/* SUMMARY
/*	message identifiers and the Date of a message
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*msgid_first(const char *value)
/*
/*	GPtrArray *msgid_list(const char *value, size_t max)
/*
/*	void	msgid_date(MAIL *mail, const char *value)
/* DESCRIPTION
/*	msgid_first() returns the first message id in a header value
/*	(In-Reply-To), without angle brackets, or NULL.
/*
/*	msgid_list() returns the ids of a References value in order, at
/*	most max, as a NULL-terminated array of strings. Clients that
/*	write the same id twice are common; duplicates are dropped.
/*
/*	msgid_date() stores a Date value (the first instance's) as epoch
/*	seconds, the zone offset in minutes and an ISO 8601 text with
/*	that zone.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* msgid_list - the ids of a References-style value */

GPtrArray *msgid_list(const char *value, size_t max)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GMimeReferences *refs;
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

    if (value != NULL && (refs = g_mime_references_parse(NULL, value)) != NULL) {
	for (int i = 0; i < g_mime_references_length(refs) && out->len < max; i++) {
	    const char *id = g_mime_references_get_message_id(refs, i);
	    char   *copy;

	    if (id == NULL || *id == 0 || g_hash_table_contains(seen, id))
		continue;
	    copy = charset_clean_utf8(id, strlen(id), NULL);
	    g_ptr_array_add(out, copy);
	    g_hash_table_add(seen, copy);
	}
	g_mime_references_free(refs);
    }
    g_hash_table_destroy(seen);
    g_ptr_array_add(out, NULL);
    return (out);
}

/* msgid_first - the first id of an In-Reply-To-style value */

char   *msgid_first(const char *value)
{
    GPtrArray *ids = msgid_list(value, 1);
    char   *id = g_strdup(g_ptr_array_index(ids, 0));

    g_ptr_array_free(ids, TRUE);
    return (id);
}

/* msgid_date - the Date header with its zone */

void    msgid_date(MAIL *mail, const char *value)
{
    GDateTime *dt;

    mail->date = -1;
    if (value == NULL || (dt = g_mime_utils_header_decode_date(value)) == NULL)
	return;
    mail->date = g_date_time_to_unix(dt);
    mail->date_tz = (int) (g_date_time_get_utc_offset(dt) / G_TIME_SPAN_MINUTE);
    mail->date_text = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
    g_date_time_unref(dt);
}
