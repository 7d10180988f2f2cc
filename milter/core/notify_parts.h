#ifndef MILTER_NOTIFY_PARTS_H
#define MILTER_NOTIFY_PARTS_H

/*++
/* NAME
/*	notify_parts 3h
/* SUMMARY
/*	the customer's HTML, inline images and attachments in a notification
/* SYNOPSIS
/*	#include <milter/core/notify_parts.h>
/*
/*	NOTIFY_PARTS *notify_parts_plan(JsonArray *attachments,
/*				const char *html, size_t limit)
/*
/*	char	*notify_parts_list(const NOTIFY_PARTS *parts)
/*
/*	GMimeObject *notify_parts_body(NOTIFY_PARTS *parts,
/*				GMimeObject *plain, GMimeObject *html,
/*				NOTIFY_FETCH *fetch, void *context,
/*				TM_ERROR *err)
/*
/*	void	notify_parts_strip(NOTIFY_PARTS *parts)
/*
/*	void	notify_parts_free(NOTIFY_PARTS *parts)
/* DESCRIPTION
/*	A notification (or an agent's copy of a note) carries the message
/*	as it came: its text, its sanitized HTML, its inline images and
/*	its attachments, byte for byte, up to NotifyAttachmentLimit.
/*
/*	notify_parts_plan() decides from the attachments that
/*	outbox_mail() lists (id, filename, content_type, size, sha256,
/*	content_id, truncated) which ones the notification carries: in
/*	their order, each one that still fits in limit, counting its
/*	decoded size and PART_OVERHEAD bytes for its MIME header (so that
/*	many empty files cannot grow the mail without bound either). An
/*	image whose Content-ID the HTML (html, may be null) names as
/*	"cid:" goes beside the HTML in multipart/related; the rest are
/*	attachments. No byte is read here: the bytes of what is left out
/*	are never fetched.
/*
/*	notify_parts_list() is the {{attachments}} text: a line per
/*	attachment with its name, type and size; for each one left out
/*	how to fetch it (ticketctl attachment get ID -o FILE), and a last
/*	line that says why. At most NOTIFY_LIST_MAX lines name one; then
/*	how many more. g_free it.
/*
/*	notify_parts_body() builds the MIME body around the text part
/*	plain and the HTML part html (may be null): text/plain alone,
/*	multipart/alternative with the HTML (in multipart/related with
/*	the inline images), in multipart/mixed with the attachments. It
/*	fetches the bytes of each carried part with fetch(context,
/*	sha256, &bytes, err), one at a time, and hands them to gmime
/*	without a copy, as compose_attachment() parts.
/*
/*	notify_parts_strip() empties the carried parts after the mail was
/*	rendered, each with an X-Ticket-Attachment header that names its
/*	SHA-256 and size: the copy recorded in the database does not hold
/*	the bytes again (they are stored once, as the customer's).
/*
/*	notify_parts_free() releases the plan and its parts.
/* DIAGNOSTICS
/*	notify_parts_body() returns NULL with the reason in err when a
/*	fetch fails.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/log.h>

#define NOTIFY_PART_OVERHEAD	512	/* bytes counted for a part's header */
#define NOTIFY_LIST_MAX		100	/* attachment lines named at most */

typedef struct NOTIFY_PARTS NOTIFY_PARTS;
typedef int NOTIFY_FETCH(void *, const char *, GByteArray **, TM_ERROR *);

extern NOTIFY_PARTS *notify_parts_plan(JsonArray *, const char *, size_t);
extern char *notify_parts_list(const NOTIFY_PARTS *);
extern GMimeObject *notify_parts_body(NOTIFY_PARTS *, GMimeObject *, GMimeObject *,
				              NOTIFY_FETCH *, void *, TM_ERROR *);
extern void notify_parts_strip(NOTIFY_PARTS *);
extern void notify_parts_free(NOTIFY_PARTS *);

#endif
