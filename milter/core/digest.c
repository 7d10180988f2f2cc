/*++
/* NAME
/*	digest 3
/* SUMMARY
/*	a message's content digest, the same for every delivery of it
/* DESCRIPTION
/*	See digest.h. The header is read field by field (a field runs
/*	until a line that does not start with white space); the body,
/*	after the first empty line, is hashed whole.
/*--*/

/* System library. */
#include <string.h>
#include <strings.h>

/* External libraries. */
#include <glib.h>

/* Parser library. */
#include <parser/util/sha256.h>

/* Global library. */
#include <milter/core/digest.h>

/* Trace fields: added or changed on the way, not part of what was sent. */
static const char *const trace_fields[] = {
    "Received", "Return-Path", "Delivered-To", "X-Original-To",
    "Authentication-Results", "X-Authentication-Results", "Received-SPF",
    "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results",
    "X-Received", "X-Ticket-Number", "X-Quarantine-ID", "X-Bogosity",
    "X-Greylist", "X-Forefront-Antispam-Report", 0,
};

/* Field name prefixes of content filters (spam, virus, policy) that each
 * MX adds in its own way. */
static const char *const filter_prefixes[] = {
    "X-Spam-", "X-Spamd-", "X-Virus-", "X-Amavis-", "X-Rspamd-",
    "X-MailScanner", "X-Policyd-", "X-DSPAM-", "X-CRM114-",
    "X-Microsoft-Antispam", "X-MS-Exchange-Organization-", "X-Sieve", 0,
};

/* is_trace_field - does this header line start a trace or filter field? */

static int is_trace_field(const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    size_t  name_len;

    if (colon == NULL)
	return (0);
    name_len = (size_t) (colon - line);
    while (name_len > 0 && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
	name_len--;
    for (int i = 0; trace_fields[i]; i++)
	if (strlen(trace_fields[i]) == name_len
	    && strncasecmp(trace_fields[i], line, name_len) == 0)
	    return (1);
    for (int i = 0; filter_prefixes[i]; i++)
	if (strlen(filter_prefixes[i]) <= name_len
	    && strncasecmp(filter_prefixes[i], line, strlen(filter_prefixes[i])) == 0)
	    return (1);
    return (0);
}

/* hash_line - add one line to the digest, with LF as its end */

static void hash_line(SHA256_SUM *sum, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
	len--;
    sha256_update(sum, line, len);
    sha256_update(sum, "\n", 1);
}

/* message_digest - SHA-256 of a message without its trace fields */

char   *message_digest(const char *raw, size_t len)
{
    SHA256_SUM *sum = sha256_new();
    const char *p = raw, *end = raw + len, *nl;
    int     skipping = 0;
    char    hex[SHA256_HEX_SIZE];

    /* The header: skip trace fields with their continuation lines. */
    while (p < end) {
	size_t  line_len;

	nl = memchr(p, '\n', (size_t) (end - p));
	line_len = nl ? (size_t) (nl - p) : (size_t) (end - p);
	if (line_len == 0 || (line_len == 1 && p[0] == '\r'))
	    break;				/* the empty line: body follows */
	if (p[0] != ' ' && p[0] != '\t')
	    skipping = is_trace_field(p, line_len);
	if (!skipping)
	    hash_line(sum, p, line_len);
	p = nl ? nl + 1 : end;
    }
    /* The body, line by line so that CRLF and LF count the same. */
    while (p < end) {
	nl = memchr(p, '\n', (size_t) (end - p));
	hash_line(sum, p, nl ? (size_t) (nl - p) : (size_t) (end - p));
	p = nl ? nl + 1 : end;
    }
    sha256_finish(sum, hex);
    return (g_strdup(hex));
}
