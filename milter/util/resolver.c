/*++
/* NAME
/*	resolver 3
/* SUMMARY
/*	DNS questions behind one interface: what every backend shares
/* DESCRIPTION
/*	See resolver.h. This file holds what does not depend on the
/*	backend: the truncation rule every answer passes, and the TXT
/*	lookup parsed from the answer. The backends are resolver_dns.c
/*	and resolver_table.c.
/*--*/

/* System library. */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

/* Utility library. */
#include <milter/util/resolver.h>

#define DNS_MESSAGE_MAX	65536		/* a TCP length field is 16 bits */

/* resolver_truncated - longer than the buffer (only its start is there), or TC */

int     resolver_truncated(const unsigned char *answer, int len, size_t size)
{
    return (len > 0 && ((size_t) len > size
			|| (len >= NS_HFIXEDSZ && (answer[2] & 0x02) != 0)));
}

/* resolver_query - one question; the whole answer, whatever its rcode */

int     resolver_query(RESOLVER *resolver, const char *name, int type,
		               unsigned char *answer, size_t size)
{
    int     len = resolver->query(resolver, name, type, answer, size);

    return (resolver_truncated(answer, len, size) ? -1 : len);
}

/* resolver_txt_rdata - one TXT record's character-strings, joined */

char   *resolver_txt_rdata(const unsigned char *rdata, size_t len)
{
    GString *text = g_string_sized_new(len);
    size_t  pos = 0;

    while (pos < len) {
	size_t  n = rdata[pos++];

	if (n > len - pos)
	    n = len - pos;
	g_string_append_len(text, (const char *) rdata + pos, n);
	pos += n;
    }
    return (g_string_free(text, FALSE));
}

/* txt_records - the TXT records of a parsed answer */

static int txt_records(ns_msg msg, GPtrArray *texts)
{
    ns_rr   rr;
    int     status = RESOLVER_NONE;

    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
	break;
    case ns_r_nxdomain:
	return (RESOLVER_NONE);
    default:
	/* SERVFAIL, REFUSED, ...: trouble, not an answer. */
	return (RESOLVER_TEMPFAIL);
    }
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
	if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_txt)
	    continue;
	g_ptr_array_add(texts, resolver_txt_rdata(ns_rr_rdata(rr), ns_rr_rdlen(rr)));
	status = RESOLVER_FOUND;
    }
    return (status);
}

/* resolver_txt - the TXT records of a name */

int     resolver_txt(RESOLVER *resolver, const char *name, GPtrArray *texts)
{
    /* On the heap: it holds any DNS message, and threads' stacks may be small. */
    unsigned char *answer = g_malloc(DNS_MESSAGE_MAX);
    ns_msg  msg;
    int     len, status;

    if ((len = resolver_query(resolver, name, ns_t_txt, answer, DNS_MESSAGE_MAX)) < 0
	|| ns_initparse(answer, len, &msg) < 0)
	status = RESOLVER_TEMPFAIL;
    else
	status = txt_records(msg, texts);
    g_free(answer);
    return (status);
}

/* resolver_free - close a resolver of either backend */

void    resolver_free(RESOLVER *resolver)
{
    if (resolver)
	resolver->free(resolver);
}
