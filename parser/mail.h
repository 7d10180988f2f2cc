#ifndef PARSER_MAIL_H
#define PARSER_MAIL_H

/*++
/* NAME
/*	mail 3h
/* SUMMARY
/*	one received message, parsed and normalized for a help desk
/* SYNOPSIS
/*	#include <parser/mail.h>
/*
/*	void	mail_parser_init(void)
/*
/*	void	mail_limits_default(MAIL_LIMITS *limits)
/*	void	mail_options_default(MAIL_OPTIONS *options)
/*
/*	MAIL	*mail_parse_bytes(const char *data, size_t len,
/*				  const MAIL_LIMITS *limits)
/*	MAIL	*mail_parse_fd(int fd, const MAIL_LIMITS *limits)
/*	MAIL	*mail_parse_bytes_with(const char *data, size_t len,
/*				  const MAIL_LIMITS *limits,
/*				  const MAIL_OPTIONS *options)
/*	MAIL	*mail_parse_fd_with(int fd, const MAIL_LIMITS *limits,
/*				  const MAIL_OPTIONS *options)
/*
/*	void	mail_free(MAIL *mail)
/*
/*	const char *mail_message_id(const MAIL *mail)
/*	const char *mail_subject(const MAIL *mail)
/*	const char *mail_from_address(const MAIL *mail)
/*	const char *mail_from_name(const MAIL *mail)
/*
/*	size_t	mail_addresses(const MAIL *mail, MAIL_ADDR_FIELD field,
/*				const MAIL_ADDRESS **vec)
/*	const char *mail_in_reply_to(const MAIL *mail)
/*	const char *const *mail_references(const MAIL *mail, size_t *count)
/*	const char *mail_thread_index(const MAIL *mail)
/*	const char *mail_language(const MAIL *mail)
/*	long long mail_date(const MAIL *mail, int *tz_minutes)
/*	const char *mail_date_text(const MAIL *mail)
/*	const char *mail_subject_normalized(const MAIL *mail)
/*	const char *mail_ticket_tag(const MAIL *mail)
/*
/*	const MAIL_LOOP *mail_loop(const MAIL *mail)
/*	const char *mail_spam_header_name(const char *name)
/*	const char *mail_spam_verdict_name(MAIL_SPAM verdict)
/*	const MAIL_BOUNCE *mail_bounce(const MAIL *mail)
/*
/*	const char *mail_text(const MAIL *mail)
/*	const char *mail_reply_text(const MAIL *mail)
/*	MAIL_COMMANDS *mail_commands(const char *reply_text)
/*	void	mail_commands_free(MAIL_COMMANDS *commands)
/*	const char *mail_html(const MAIL *mail)
/*	char	*mail_html_sanitized(const MAIL *mail)
/*	char	*mail_html_clean(const char *html)
/*	const char *mail_text_source(const MAIL *mail)
/*	char	*mail_html_reply(const MAIL *mail)
/*	char	*mail_html_reply_text(const char *html, const char *marker)
/*	char	*mail_html_framed(const char *html, const char *before,
/*				  const char *after)
/*
/*	size_t	mail_attachment_count(const MAIL *mail)
/*	const MAIL_ATTACHMENT *mail_attachment(const MAIL *mail, size_t i)
/*
/*	unsigned mail_bounds_hit(const MAIL *mail)
/*	const char *mail_bound_name(unsigned bit)
/*	unsigned mail_defects(const MAIL *mail)
/*	const char *mail_defect_name(unsigned bit)
/*	const char *const *mail_defect_names(const MAIL *mail, size_t *count)
/*	const char *const *mail_duplicate_headers(const MAIL *mail,
/*				size_t *count)
/*
/*	char	*mail_to_json(const MAIL *mail, int with_bytes)
/*	void	mail_json_stored(JSON_OUT *out, const MAIL *mail)
/*	char	*mail_thread_root(const char *thread_index)
/* DESCRIPTION
/*	parser/ turns the bytes of one RFC 5322 message into what a help
/*	desk needs. It knows nothing of libmilter or libpq and does no I/O
/*	besides reading the bytes or descriptor it is given. Several
/*	messages may be parsed at once in different threads; a MAIL is
/*	read-only once returned and may be read from any thread.
/*
/*	mail_parser_init() initializes gmime; call it once, before threads.
/*
/*	mail_limits_default() and mail_options_default() fill in the
/*	defaults; a caller changes single fields afterwards.
/*
/*	mail_parse_bytes() and mail_parse_fd() never fail: malformed input
/*	is parsed best effort. The descriptor is read from its current
/*	offset and not closed; a regular file is mapped into memory, so it
/*	must not shrink while it is parsed. mail_parse_bytes() reads the
/*	caller's bytes in place during the call. The _with() forms take MAIL_OPTIONS; the
/*	others use mail_options_default(). A null limits pointer means
/*	the defaults.
/*
/*	mail_message_id() returns the Message-ID without angle brackets,
/*	or NULL. mail_subject() returns the decoded UTF-8 subject, "" when
/*	there is none. mail_from_address() returns the first From address,
/*	lower-cased domain, or NULL; mail_from_name() its decoded display
/*	name, or NULL.
/*
/*	mail_addresses() stores a pointer to the mailboxes of one header
/*	(groups flattened) in *vec and returns their number.
/*
/*	mail_in_reply_to() returns the first id of In-Reply-To without
/*	angle brackets, or NULL. mail_references() returns the References
/*	ids in order, NULL-terminated, their number in *count (may be null).
/*	mail_thread_index() returns Outlook's Thread-Index as sent, or NULL.
/*	mail_language() returns the primary subtag (lower case, as "de")
/*	of the first language of Content-Language, else of
/*	Accept-Language, or NULL.
/*
/*	mail_date() returns the Date header as seconds since the epoch, or
/*	-1; *tz_minutes (may be null) receives the zone offset east of UTC.
/*	mail_date_text() returns it as ISO 8601 with the sender's zone, or
/*	NULL.
/*
/*	mail_subject_normalized() returns the subject without reply and
/*	forward prefixes, list tags, the ticket tag and extra white space.
/*	mail_ticket_tag() returns the digits of the ticket tag, or NULL.
/*
/*	mail_loop() returns the mail-loop headers and what they imply;
/*	mail_bounce() the delivery status facts. Neither returns NULL.
/*	With MAIL_OPTIONS spam_header, mail_loop()->spam_verdict is what
/*	that header of the top level says: spam, clean, absent, or doubtful
/*	when it is there more than once (a sender wrote one: the site's
/*	filter adds one after the MTA removed the sender's).
/*	mail_spam_header_name() returns the canonical name of a content
/*	filter's verdict header the parser knows (X-Spam-Flag, X-Spam-Status,
/*	X-Spam, X-Rspamd-Action; any case), or NULL.
/*	mail_spam_verdict_name() names a MAIL_SPAM: "unchecked", "absent",
/*	"clean", "spam" or "doubtful".
/*
/*	mail_text() returns the best text of the body in UTF-8 ("" when
/*	none); mail_reply_text() that text without quoted history and
/*	signature; mail_html() the HTML body converted to UTF-8, or NULL;
/*	mail_text_source() says where the text came from: "plain",
/*	"html" or "none". mail_html_sanitized() returns that HTML without
/*	scripts, frames, forms, event handlers and javascript: URLs, safe
/*	to show (see html_sanitize.c); g_free it.
/*	mail_html_reply() returns it, for an answer, without the quoted
/*	history mail clients append (Gmail, Outlook, Thunderbird, Apple
/*	Mail) and without leading command lines; mail_html_reply_text()
/*	the readable text of such HTML, its quote and signature cut as
/*	in mail_reply_text(); mail_html_framed() HTML with a text block
/*	before and after its content (see html_sanitize.c). g_free them.
/*
/*	mail_commands() reads an agent's commands: the lines that start
/*	with "#" at the top of an answer (reply_text, the answer without
/*	its quoted history), before any other text, blank lines between
/*	them allowed: #note (an internal note, not sent to the customer),
/*	#close, #pending, #solved, #take (assign it to oneself),
/*	#assign ADDRESS, #cc add|remove ADDRESS, #merge NUMBER, #spam,
/*	#notspam and #canned NAME. It returns NULL when the text does not start with
/*	such a line. Otherwise each command line gives one MAIL_COMMAND
/*	(name lower case; argument "" when none), or one error: a line
/*	that is not a command, or a command with an argument it does not
/*	take or without one it needs. body_start is where the rest of the
/*	text begins, in characters (not bytes). Whether an argument names
/*	an agent, a ticket or a canned answer of the queue is for the
/*	database to decide.
/*	mail_commands_free() releases the result.
/*
/*	mail_attachment_count() and mail_attachment() list the attachments:
/*	MIME parts that are not the chosen body, inline images, forwarded
/*	messages and the files inside TNEF winmail.dat.
/*
/*	mail_bounds_hit() returns the MAIL_BOUND_* bits of the limits that
/*	were reached; mail_bound_name() names one bit. mail_defects()
/*	returns MAIL_DEFECT_* bits for malformed input that was repaired;
/*	mail_defect_name() names one bit ("duplicate_header",
/*	"from_unbracketed", "leading_garbage"...). mail_defect_names()
/*	returns the names of the defects found, NULL-terminated, their
/*	number in *count (may be null): one name per bit, then
/*	"duplicate_header:NAME" for each duplicated field.
/*	mail_duplicate_headers() returns those field names alone, lower
/*	case ("from", "subject", "content-type"...), in the order of the
/*	list below, NULL-terminated, their number in *count (may be null).
/*
/*	A field RFC 5322 allows once (From, Sender, To, Cc, Subject,
/*	Date, Message-ID, and the top entity's Content-Type) that comes
/*	twice sets MAIL_DEFECT_DUPLICATE_HEADER; every accessor then gives
/*	the first instance, as mail clients show it. Callers that vouch
/*	for a sender (DMARC, agent authentication) must not when that bit
/*	is set: a From added on top of a signed message can still verify.
/*	A From without angle brackets ("Jane Doe jane@example.org") gives
/*	that address and name, and sets MAIL_DEFECT_FROM_UNBRACKETED. A
/*	byte order mark, blank lines or an mbox "From " line before the
/*	header (looked for in the first 8 KB, and skipped only when a
/*	header field follows) are skipped and set
/*	MAIL_DEFECT_LEADING_GARBAGE.
/*
/*	RFC 2047 encoded words that a writer split (Gmail, Outlook) are
/*	decoded whole in the subject, display names and file names, and
/*	base64 bodies written in padded chunks whole, despite the gmime
/*	3.2.13 bugs #133 and #150 (see rfc2047.c and base64.c).
/*
/*	mail_to_json() renders the whole result as UTF-8 JSON (see
/*	parser/README.md for the fields); the caller g_free()s it.
/*	Attachment bytes are included in base64 only when with_bytes.
/*	mail_json_stored() writes the message's members of the database's
/*	description (sql/functions/ingest.sql, ingest_message()) into an
/*	object the caller has opened; the attachments' offsets are into
/*	their bytes concatenated in order. Both are written by mail_json.c,
/*	with json_out.h. mail_thread_root() is the hex of the first 22
/*	bytes of an Outlook Thread-Index, or NULL; g_free() it.
/*--*/

/* System library. */
#include <stddef.h>

/* Parser library. */
#include <parser/util/json_out.h>

typedef struct MAIL MAIL;

/* Bounds on what an attacker controls; past one, the parse goes on best
 * effort and the message is flagged. */
typedef struct MAIL_LIMITS {
    int     max_depth;			/* MIME nesting */
    int     max_parts;			/* MIME parts in all */
    int     max_headers;		/* header fields per entity */
    size_t  max_header_bytes;		/* one header field */
    size_t  max_decoded_bytes;		/* decoded content in all */
    size_t  max_tnef_bytes;		/* a winmail.dat that is expanded */
} MAIL_LIMITS;

/* What a site configures; strings are borrowed for the parse only. */
typedef struct MAIL_OPTIONS {
    const char *tag_format;		/* "[#NUMBER]": NUMBER is the digits */
    const char *reply_marker;		/* cut here and below, or NULL */
    const char *spam_header;		/* the site's content filter's verdict
					 * header (SpamHeader), or NULL */
} MAIL_OPTIONS;

#define MAIL_BOUND_DEPTH	(1U<<0)
#define MAIL_BOUND_PARTS	(1U<<1)
#define MAIL_BOUND_HEADERS	(1U<<2)
#define MAIL_BOUND_HEADER_BYTES	(1U<<3)
#define MAIL_BOUND_DECODED	(1U<<4)
#define MAIL_BOUND_TNEF		(1U<<5)

#define MAIL_DEFECT_NO_MESSAGE	(1U<<0)	/* gmime found no message at all */
#define MAIL_DEFECT_CHARSET	(1U<<1)	/* unknown or wrong charset label */
#define MAIL_DEFECT_INVALID_BYTES (1U<<2)	/* bytes replaced by U+FFFD */
#define MAIL_DEFECT_NUL		(1U<<3)	/* NUL bytes in text */
#define MAIL_DEFECT_8BIT_HEADER	(1U<<4)	/* raw 8-bit header bytes */
#define MAIL_DEFECT_TNEF	(1U<<5)	/* winmail.dat could not be read */
#define MAIL_DEFECT_DUPLICATE_HEADER (1U<<6)	/* a second From, Sender, To,
						 * Cc, Subject, Date, Message-ID
						 * or Content-Type: the first
						 * counts */
#define MAIL_DEFECT_FROM_UNBRACKETED (1U<<7)	/* From address recovered from
						 * "Name addr@domain" */
#define MAIL_DEFECT_LEADING_GARBAGE (1U<<8)	/* blank line, mbox "From " line
						 * or BOM before the header */

typedef enum MAIL_ADDR_FIELD {
    MAIL_ADDR_FROM,
    MAIL_ADDR_SENDER,
    MAIL_ADDR_REPLY_TO,
    MAIL_ADDR_TO,
    MAIL_ADDR_CC,
    MAIL_ADDR_FIELD_COUNT,
} MAIL_ADDR_FIELD;

typedef struct MAIL_ADDRESS {
    char   *name;			/* decoded display name, or NULL */
    char   *address;			/* local@domain, domain lower case */
} MAIL_ADDRESS;

/* What the site's content filter says (MAIL_OPTIONS spam_header). */
typedef enum MAIL_SPAM {
    MAIL_SPAM_UNCHECKED,		/* no spam_header */
    MAIL_SPAM_ABSENT,			/* the header is not there */
    MAIL_SPAM_CLEAN,			/* it says not spam */
    MAIL_SPAM_YES,			/* it says spam */
    MAIL_SPAM_DOUBTFUL,			/* it is there more than once */
} MAIL_SPAM;

/* Headers that tell automated mail from people (RFC 3834 and practice). */
typedef struct MAIL_LOOP {
    const char *auto_submitted;		/* each NULL when absent */
    const char *precedence;
    const char *list_id;
    const char *list_unsubscribe;
    const char *x_auto_response_suppress;
    const char *x_loop;
    const char *x_spam_flag;
    int     is_auto_submitted;		/* Auto-Submitted other than "no" */
    int     is_bulk;			/* Precedence bulk/list/junk, or list */
    int     is_spam;			/* X-Spam-Flag: YES */
    int     is_auto_reply;		/* X-Autoreply/X-Autorespond, or an
					 * out-of-office subject */
    int     suppress_autoreply;		/* any of the above, or a bounce */
    MAIL_SPAM spam_verdict;		/* of MAIL_OPTIONS spam_header */
    const char *spam_header;		/* its canonical name, or NULL */
} MAIL_LOOP;

typedef struct MAIL_BOUNCE {
    int     is_bounce;			/* DSN or a bounce by its looks */
    int     is_dsn;			/* multipart/report delivery-status */
    const char *original_message_id;	/* without <>, or NULL */
    const char *failed_recipient;	/* or NULL */
    const char *status;			/* DSN Status, e.g. "5.1.1", or NULL */
    const char *action;			/* DSN Action, e.g. "failed", or NULL */
} MAIL_BOUNCE;

typedef struct MAIL_COMMAND {
    char   *name;			/* note, close, pending, solved, take, assign */
    char   *argument;			/* "" when none */
} MAIL_COMMAND;

typedef struct MAIL_COMMANDS {
    GPtrArray *list;			/* MAIL_COMMAND *, in order */
    GPtrArray *errors;			/* char *: the line, and why it is not one */
    long    body_start;			/* characters before the rest of the text */
} MAIL_COMMANDS;

typedef struct MAIL_ATTACHMENT {
    char   *filename;			/* decoded, UTF-8, or NULL */
    char   *content_type;		/* "type/subtype", lower case */
    char   *disposition;		/* "attachment", "inline" or NULL */
    char   *content_id;			/* without <>, or NULL */
    char   *origin;			/* "mime", "related", "rfc822", "tnef" */
    size_t  size;			/* decoded bytes */
    char    sha256[65];			/* lower-case hex */
    unsigned char *data;		/* decoded bytes (size of them) */
    int     truncated;			/* decoded size bound reached */
    char   *message_subject;		/* message/rfc822: its Subject */
    char   *message_from;		/* message/rfc822: its From address */
} MAIL_ATTACHMENT;

extern void mail_parser_init(void);
extern void mail_limits_default(MAIL_LIMITS *);
extern void mail_options_default(MAIL_OPTIONS *);
extern MAIL *mail_parse_bytes(const char *, size_t, const MAIL_LIMITS *);
extern MAIL *mail_parse_fd(int, const MAIL_LIMITS *);
extern MAIL *mail_parse_bytes_with(const char *, size_t, const MAIL_LIMITS *,
				           const MAIL_OPTIONS *);
extern MAIL *mail_parse_fd_with(int, const MAIL_LIMITS *, const MAIL_OPTIONS *);
extern void mail_free(MAIL *);

extern const char *mail_message_id(const MAIL *);
extern const char *mail_subject(const MAIL *);
extern const char *mail_from_address(const MAIL *);
extern const char *mail_from_name(const MAIL *);

extern size_t mail_addresses(const MAIL *, MAIL_ADDR_FIELD, const MAIL_ADDRESS **);
extern const char *mail_in_reply_to(const MAIL *);
extern const char *const *mail_references(const MAIL *, size_t *);
extern const char *mail_thread_index(const MAIL *);
extern const char *mail_language(const MAIL *);
extern long long mail_date(const MAIL *, int *);
extern const char *mail_date_text(const MAIL *);
extern const char *mail_subject_normalized(const MAIL *);
extern const char *mail_ticket_tag(const MAIL *);

extern const MAIL_LOOP *mail_loop(const MAIL *);
extern const char *mail_spam_header_name(const char *);
extern const char *mail_spam_verdict_name(MAIL_SPAM);
extern const MAIL_BOUNCE *mail_bounce(const MAIL *);

extern const char *mail_text(const MAIL *);
extern const char *mail_reply_text(const MAIL *);
extern MAIL_COMMANDS *mail_commands(const char *);
extern void mail_commands_free(MAIL_COMMANDS *);
extern const char *mail_html(const MAIL *);
extern char *mail_html_sanitized(const MAIL *);
extern char *mail_html_clean(const char *);
extern const char *mail_text_source(const MAIL *);
extern char *mail_html_reply(const MAIL *);
extern char *mail_html_reply_text(const char *, const char *);
extern char *mail_html_framed(const char *, const char *, const char *);

extern size_t mail_attachment_count(const MAIL *);
extern const MAIL_ATTACHMENT *mail_attachment(const MAIL *, size_t);

extern unsigned mail_bounds_hit(const MAIL *);
extern const char *mail_bound_name(unsigned);
extern unsigned mail_defects(const MAIL *);
extern const char *mail_defect_name(unsigned);
extern const char *const *mail_defect_names(const MAIL *, size_t *);
extern const char *const *mail_duplicate_headers(const MAIL *, size_t *);

extern char *mail_to_json(const MAIL *, int);
extern void mail_json_stored(JSON_OUT *, const MAIL *);
extern char *mail_thread_root(const char *);

#endif
