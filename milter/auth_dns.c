/*++
/* NAME
/*	auth_dns 3
/* SUMMARY
/*	TXT lookups with a bounded time, for DMARC
/* DESCRIPTION
/*	See auth_check.h. Each lookup uses a resolver state of its own, so
/*	threads never share one, and its timeout is DNSTimeout with one
/*	attempt per name server. libopendkim asks through auth_dns_query()
/*	too: its own stub shares one resolver state between all threads,
/*	and concurrent queries then lose each other's answers.
/*
/*	An answer is read whole or not at all: glibc's res_nsend() returns
/*	the full length of a TCP answer larger than the buffer it filled,
/*	so a length past the buffer, or an answer that still says it is
/*	truncated (TC), is a failure (temperror), never parsed. TXT
/*	answers go into a buffer that holds any DNS message (64 KiB, the
/*	most a TCP length can say), on the heap: the libmilter threads'
/*	stacks may be small.
/*--*/

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <limits.h>
#include <string.h>

#include <milter/auth_check.h>

#define DNS_MESSAGE_MAX	65536		/* a TCP length field is 16 bits */

static int dns_timeout = 5;
static GHashTable *test_zone;		/* name -> GPtrArray of texts, or NULL */

/* auth_dns_init - bound every lookup to this many seconds */

void    auth_dns_init(int timeout)
{
    dns_timeout = timeout;
}

/* auth_dns_test_zone - unit tests: answer from a table, not the DNS */

void    auth_dns_test_zone(const char *name, const char *txt)
{
    char   *key = g_ascii_strdown(name, -1);
    GPtrArray *texts;

    if (test_zone == NULL)
	test_zone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify) g_ptr_array_unref);
    if (txt == NULL) {
	g_hash_table_replace(test_zone, key, NULL);
	return;
    }
    if ((texts = g_hash_table_lookup(test_zone, key)) == NULL) {
	texts = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_replace(test_zone, g_strdup(key), texts);
    }
    g_ptr_array_add(texts, g_strdup(txt));
    g_free(key);
}

/* test_zone_txt - a lookup in the unit-test table */

static int test_zone_txt(const char *name, GPtrArray *texts)
{
    char   *key = g_ascii_strdown(name, -1);
    gpointer value;
    int     found = g_hash_table_lookup_extended(test_zone, key, NULL, &value);
    GPtrArray *list = value;

    g_free(key);
    if (!found)
	return (AUTH_DNS_NONE);
    if (list == NULL)
	return (AUTH_DNS_TEMPFAIL);
    for (guint i = 0; i < list->len; i++)
	g_ptr_array_add(texts, g_strdup(g_ptr_array_index(list, i)));
    return (AUTH_DNS_FOUND);
}

/* auth_dns_txt_rdata - one TXT record's character-strings, joined */

char   *auth_dns_txt_rdata(const unsigned char *rdata, size_t len)
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

/* auth_dns_query - one question; the whole answer, whatever its rcode */

int     auth_dns_query(const char *name, int type, unsigned char *answer, size_t size)
{
    struct __res_state res;
    unsigned char query[NS_PACKETSZ];
    int     len;

    memset(&res, 0, sizeof(res));
    if (res_ninit(&res) != 0)
	return (-1);
    res.retrans = dns_timeout;
    res.retry = 1;
    len = res_nmkquery(&res, ns_o_query, name, ns_c_in, type, NULL, 0, NULL,
		       query, sizeof(query));
    if (len > 0)
	len = res_nsend(&res, query, len, answer, size > INT_MAX ? INT_MAX : (int) size);
    res_nclose(&res);
    /* Larger than the buffer (only its start is there), or truncated. */
    if (len > 0 && ((size_t) len > size
		    || (len >= NS_HFIXEDSZ && (answer[2] & 0x02) != 0)))
	return (-1);
    return (len);
}

/* txt_records - the TXT records of a parsed answer */

static int txt_records(ns_msg msg, GPtrArray *texts)
{
    ns_rr   rr;
    int     status = AUTH_DNS_NONE;

    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
	break;
    case ns_r_nxdomain:
	return (AUTH_DNS_NONE);
    default:
	/* SERVFAIL, REFUSED, ...: trouble, not an answer. */
	return (AUTH_DNS_TEMPFAIL);
    }
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
	if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_txt)
	    continue;
	g_ptr_array_add(texts, auth_dns_txt_rdata(ns_rr_rdata(rr), ns_rr_rdlen(rr)));
	status = AUTH_DNS_FOUND;
    }
    return (status);
}

/* auth_dns_txt - the TXT records of a name */

int     auth_dns_txt(const char *name, GPtrArray *texts)
{
    unsigned char *answer;
    ns_msg  msg;
    int     len, status;

    if (test_zone)
	return (test_zone_txt(name, texts));
    answer = g_malloc(DNS_MESSAGE_MAX);
    if ((len = auth_dns_query(name, ns_t_txt, answer, DNS_MESSAGE_MAX)) < 0
	|| ns_initparse(answer, len, &msg) < 0)
	status = AUTH_DNS_TEMPFAIL;
    else
	status = txt_records(msg, texts);
    g_free(answer);
    return (status);
}
