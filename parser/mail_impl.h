#ifndef PARSER_MAIL_IMPL_H
#define PARSER_MAIL_IMPL_H

/*++
/* NAME
/*	mail_impl 3h
/* SUMMARY
/*	the inside of a MAIL, shared by the parser modules only
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/* DESCRIPTION
/*	The MAIL structure and the functions one parser module offers
/*	another. Nothing here is for callers outside parser/; they use
/*	mail.h. Each group of prototypes names the module that defines it;
/*	that module's header comment documents the functions.
/*--*/

/* External libraries. */
#include <glib.h>
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>

/* Parser library. */
#include <parser/mail.h>

struct MAIL {
    MAIL_LIMITS limits;
    MAIL_OPTIONS options;		/* strings borrowed during the parse */
    unsigned bounds;			/* MAIL_BOUND_* */
    unsigned defects;			/* MAIL_DEFECT_* */
    int     parts;			/* MIME entities seen */
    size_t  decoded;			/* decoded bytes kept */

    char   *message_id;
    char   *subject;
    char   *subject_normalized;
    char   *ticket_tag;
    char   *in_reply_to;
    GPtrArray *references;		/* char *, NULL-terminated */
    char   *thread_index;
    char   *language;			/* primary tag, lower case, or NULL */
    long long date;			/* -1 when absent */
    int     date_tz;			/* minutes east of UTC */
    char   *date_text;
    GArray *addresses[MAIL_ADDR_FIELD_COUNT];	/* MAIL_ADDRESS */

    MAIL_LOOP loop;
    GPtrArray *loop_strings;		/* owns the MAIL_LOOP strings */
    MAIL_BOUNCE bounce;
    GPtrArray *bounce_strings;		/* owns the MAIL_BOUNCE strings */

    GString *plain;			/* chosen text/plain, UTF-8, or NULL */
    char   *html;			/* chosen text/html, UTF-8, or NULL */
    char   *text;
    char   *reply_text;
    const char *text_source;

    GPtrArray *attachments;		/* MAIL_ATTACHMENT * */

    GPtrArray *duplicates;		/* char *, lower case, NULL-terminated */
    GPtrArray *defect_names;		/* char *, NULL-terminated */
    GMimeParserOptions *popts;		/* during the parse only */
};

#define MAIL_MAX_ADDRESSES	1000	/* per header */

/* base64.c */
typedef struct BASE64_STATE {
    unsigned bits;			/* up to four characters' bits */
    int     count;			/* characters in the group */
} BASE64_STATE;
extern void base64_init(BASE64_STATE *);
extern void base64_step(BASE64_STATE *, const char *, size_t, GByteArray *);
extern void base64_finish(BASE64_STATE *, GByteArray *);
extern GByteArray *base64_part(GMimePart *, size_t);

/* rfc2047.c */
extern char *rfc2047_rejoin(const char *, unsigned *);

/* header.c */
extern char *header_first(GMimeObject *, const char *);
extern void header_duplicates(MAIL *, GMimeMessage *);
extern char *header_neutralize(GMimeMessage *, const char *, size_t);
extern char *header_text(MAIL *, GMimeObject *, const char *);
extern void header_addresses(MAIL *, GMimeObject *, const char *, GArray *, int);
extern char *header_filename(MAIL *, GMimeObject *);

/* charset.c */
extern char *charset_to_utf8(const char *, size_t, const char *, unsigned *);
extern char *charset_clean_utf8(const char *, size_t, unsigned *);

/* address.c */
extern void address_collect(GArray *, InternetAddressList *, size_t);
extern void address_free(GArray *);
extern char *address_normalize(const char *);

/* msgid.c */
extern char *msgid_first(const char *);
extern GPtrArray *msgid_list(const char *, size_t);
extern void msgid_date(MAIL *, const char *);

/* subject.c */
extern char *subject_normalize(const char *, const char *);
extern char *subject_ticket_tag(const char *, const char *);

/* loop.c */
extern void loop_collect(MAIL *, GMimeObject *);

/* bounce.c */
extern void bounce_detect(MAIL *, GMimeMessage *);

/* html_text.c */
extern char *html_to_text(const char *, size_t);

/* html_sanitize.c */
extern htmlDocPtr html_read(const char *);
extern char *html_write(htmlDocPtr);
extern void html_sanitize_doc(htmlDocPtr);

/* lines.c */
extern char **text_lines(const char *);

/* flowed.c */
extern char *flowed_join(const char *, int);

/* reply_strip.c */
extern char *reply_strip(const char *, const char *);

/* attachment.c */
extern int attachment_budget(MAIL *, GByteArray *);
extern GByteArray *attachment_decode(MAIL *, GMimePart *, int *);
extern MAIL_ATTACHMENT *attachment_add(MAIL *, const char *, const char *,
				               const char *, const char *,
				               const char *, GByteArray *, int);
extern void attachment_add_part(MAIL *, GMimePart *, const char *);
extern void attachment_add_message(MAIL *, GMimeMessagePart *);
extern void attachment_free(MAIL_ATTACHMENT *);

/* tnef.c */
extern int tnef_expand(MAIL *, const unsigned char *, size_t);
extern void (*tnef_test_hook) (int);	/* tests: in the child (tnef.c) */

/* mime_walk.c */
extern void mime_walk(MAIL *, GMimeMessage *);
extern int mime_headers_check(MAIL *, GMimeObject *);
extern char *mime_text_of(MAIL *, GMimePart *);

#endif
