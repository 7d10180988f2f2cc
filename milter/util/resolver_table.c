/*++
/* NAME
/*	resolver_table 3
/* SUMMARY
/*	the resolver backend that answers from a table, for tests
/* DESCRIPTION
/*	See resolver.h. Each record is kept as the bytes of its RDATA, and
/*	a question is answered with a DNS message built from them, so that
/*	the callers parse a table's answer exactly as a name server's.
/*	Names are kept in lower case, without a final dot. The table is
/*	only read once questions come, so threads may ask at once.
/*--*/

/* System library. */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <milter/util/resolver.h>

#define TABLE_TTL	300		/* what the answers say; nobody caches them */
#define TXT_STRING_MAX	255		/* one character-string of a TXT record */

/* The records of one name. */
typedef struct TABLE_NAME {
    int     servfail;			/* every question fails */
    GPtrArray *records;			/* TABLE_RR * */
} TABLE_NAME;

/* One record: its type and RDATA. */
typedef struct TABLE_RR {
    int     type;
    GByteArray *rdata;
} TABLE_RR;

/* The backend's state; the interface comes first. */
typedef struct RESOLVER_TABLE {
    RESOLVER resolver;
    GHashTable *names;			/* name -> TABLE_NAME */
} RESOLVER_TABLE;

static int table_query(RESOLVER *, const char *, int, unsigned char *, size_t);

/* table_key - the name in lower case, without the final dot */

static char *table_key(const char *name)
{
    char   *key = g_ascii_strdown(name, -1);
    size_t  len = strlen(key);

    if (len > 0 && key[len - 1] == '.')
	key[len - 1] = 0;
    return (key);
}

/* rr_free - one record */

static void rr_free(gpointer data)
{
    TABLE_RR *rr = data;

    g_byte_array_unref(rr->rdata);
    g_free(rr);
}

/* name_free - one name's records */

static void name_free(gpointer data)
{
    TABLE_NAME *entry = data;

    g_ptr_array_unref(entry->records);
    g_free(entry);
}

/* table_name - the entry of name, made if new */

static TABLE_NAME *table_name(RESOLVER_TABLE *table, const char *name)
{
    char   *key = table_key(name);
    TABLE_NAME *entry = g_hash_table_lookup(table->names, key);

    if (entry == NULL) {
	entry = g_new0(TABLE_NAME, 1);
	entry->records = g_ptr_array_new_with_free_func(rr_free);
	g_hash_table_insert(table->names, key, entry);
    } else {
	g_free(key);
    }
    return (entry);
}

/* put_name - a domain name, uncompressed, appended to rdata */

static int put_name(GByteArray *rdata, const char *host)
{
    unsigned char buf[NS_MAXCDNAME];
    int     len = dn_comp(host, buf, sizeof(buf), NULL, NULL);

    if (len < 0)
	return (-1);
    g_byte_array_append(rdata, buf, (guint) len);
    return (0);
}

/* put_txt - the text as character-strings of at most 255 bytes */

static void put_txt(GByteArray *rdata, const char *text)
{
    size_t  len = strlen(text), n;
    guint8  count;

    do {
	n = MIN(len, TXT_STRING_MAX);
	count = (guint8) n;
	g_byte_array_append(rdata, &count, 1);
	g_byte_array_append(rdata, (const guint8 *) text, (guint) n);
	text += n;
	len -= n;
    } while (len > 0);
}

/* put_mx - "PREFERENCE HOST" */

static int put_mx(GByteArray *rdata, const char *data)
{
    char   *end;
    long    pref = strtol(data, &end, 10);
    guint8  buf[2];

    if (end == data || *end != ' ' || pref < 0 || pref > 65535)
	return (-1);
    ns_put16((u_int) pref, buf);
    g_byte_array_append(rdata, buf, 2);
    return (put_name(rdata, end + 1));
}

/* put_address - an IPv4 or IPv6 address */

static int put_address(GByteArray *rdata, int family, const char *data)
{
    unsigned char buf[sizeof(struct in6_addr)];

    if (inet_pton(family, data, buf) != 1)
	return (-1);
    g_byte_array_append(rdata, buf, family == AF_INET ? 4 : 16);
    return (0);
}

/* rr_rdata - the RDATA of one record from its text; -1: not of this type */

static int rr_rdata(GByteArray *rdata, int type, const char *data)
{
    switch (type) {
    case ns_t_txt:
	put_txt(rdata, data);
	return (0);
    case ns_t_a:
	return (put_address(rdata, AF_INET, data));
    case ns_t_aaaa:
	return (put_address(rdata, AF_INET6, data));
    case ns_t_mx:
	return (put_mx(rdata, data));
    default:
	return (put_name(rdata, data));
    }
}

/* rr_type - the type named; -1 for none we keep */

static int rr_type(const char *type)
{
    static const struct {
	const char *name;
	int     type;
    }       types[] = {
	{"TXT", ns_t_txt}, {"A", ns_t_a}, {"AAAA", ns_t_aaaa},
	{"MX", ns_t_mx}, {"PTR", ns_t_ptr},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
	if (g_ascii_strcasecmp(type, types[i].name) == 0)
	    return (types[i].type);
    return (-1);
}

/* resolver_table_add - one record, or a name that fails */

int     resolver_table_add(RESOLVER *resolver, const char *name, const char *type,
			           const char *data, TM_ERROR *err)
{
    RESOLVER_TABLE *table = (RESOLVER_TABLE *) resolver;
    TABLE_RR *rr;
    int     code;

    if (resolver->query != table_query)
	msg_fatal("resolver_table_add: not a table but \"%s\"", resolver->name);
    if (g_ascii_strcasecmp(type, "SERVFAIL") == 0) {
	table_name(table, name)->servfail = 1;
	return (0);
    }
    if ((code = rr_type(type)) < 0)
	return (tm_error(err, "%s: unknown record type \"%s\"", name, type));
    if (data == NULL)
	return (tm_error(err, "%s %s: no data", name, type));
    rr = g_new0(TABLE_RR, 1);
    rr->type = code;
    rr->rdata = g_byte_array_new();
    if (rr_rdata(rr->rdata, code, data) < 0) {
	rr_free(rr);
	return (tm_error(err, "%s %s: \"%s\" is no %s record", name, type, data, type));
    }
    g_ptr_array_add(table_name(table, name)->records, rr);
    return (0);
}

/* table_line - one "NAME TYPE DATA" line of a file */

static int table_line(RESOLVER *resolver, char *line, TM_ERROR *err)
{
    char   *name, *type, *data;

    name = g_strstrip(line);
    if (*name == 0 || *name == '#')
	return (0);
    type = name + strcspn(name, " \t");
    if (*type == 0)
	return (tm_error(err, "\"%s\": no record type", name));
    *type++ = 0;
    type += strspn(type, " \t");
    data = type + strcspn(type, " \t");
    if (*data) {
	*data++ = 0;
	data += strspn(data, " \t");
    }
    return (resolver_table_add(resolver, name, type, *data ? data : NULL, err));
}

/* resolver_table_load - the records of a file */

int     resolver_table_load(RESOLVER *resolver, const char *path, TM_ERROR *err)
{
    char   *text;
    char  **lines;
    GError *error = NULL;
    int     status = 0;

    if (!g_file_get_contents(path, &text, NULL, &error)) {
	tm_error(err, "%s", error->message);
	g_error_free(error);
	return (-1);
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i] && status == 0; i++) {
	TM_ERROR line_err;

	if ((status = table_line(resolver, lines[i], &line_err)) < 0)
	    tm_error(err, "%s, line %d: %s", path, i + 1, line_err.text);
    }
    g_strfreev(lines);
    g_free(text);
    return (status);
}

/* answer_header - the header and question: its length, or -1 */

static int answer_header(const char *name, int type, int rcode,
			         unsigned char *answer, size_t size)
{
    int     len;

    if (size < NS_HFIXEDSZ)
	return (-1);
    memset(answer, 0, NS_HFIXEDSZ);
    answer[2] = 0x84;				/* QR, AA */
    answer[3] = (unsigned char) (0x80 | rcode);	/* RA */
    ns_put16(1, answer + 4);			/* QDCOUNT */
    len = dn_comp(name, answer + NS_HFIXEDSZ, size - NS_HFIXEDSZ, NULL, NULL);
    if (len < 0 || NS_HFIXEDSZ + (size_t) len + 4 > size)
	return (-1);
    len += NS_HFIXEDSZ;
    ns_put16((u_int) type, answer + len);
    ns_put16(ns_c_in, answer + len + 2);
    return (len + 4);
}

/* answer_rr - one answer record, its owner the question's name */

static int answer_rr(const TABLE_RR *rr, unsigned char *answer, size_t size, int len)
{
    unsigned char *p = answer + len;

    if ((size_t) len + NS_RRFIXEDSZ + 2 + rr->rdata->len > size) {
	answer[2] |= 0x02;			/* TC: it does not fit */
	return (-1);
    }
    ns_put16(0xc000 | NS_HFIXEDSZ, p);		/* a pointer to the question */
    ns_put16((u_int) rr->type, p + 2);
    ns_put16(ns_c_in, p + 4);
    ns_put32(TABLE_TTL, p + 6);
    ns_put16(rr->rdata->len, p + 10);
    memcpy(p + 12, rr->rdata->data, rr->rdata->len);
    return (len + 12 + (int) rr->rdata->len);
}

/* table_query - the answer a name server with this table would give */

static int table_query(RESOLVER *resolver, const char *name, int type,
		               unsigned char *answer, size_t size)
{
    RESOLVER_TABLE *table = (RESOLVER_TABLE *) resolver;
    char   *key = table_key(name);
    TABLE_NAME *entry = g_hash_table_lookup(table->names, key);
    int     len, count = 0, next;

    g_free(key);
    len = answer_header(name, type, entry == NULL ? ns_r_nxdomain
			: entry->servfail ? ns_r_servfail : ns_r_noerror, answer, size);
    for (guint i = 0; len > 0 && entry && !entry->servfail && i < entry->records->len; i++) {
	const TABLE_RR *rr = g_ptr_array_index(entry->records, i);

	if (rr->type != type)
	    continue;
	if ((next = answer_rr(rr, answer, size, len)) < 0)
	    break;
	len = next;
	count++;
    }
    if (len > 0)
	ns_put16((u_int) count, answer + 6);	/* ANCOUNT */
    return (len);
}

/* table_free - the records and the state */

static void table_free(RESOLVER *resolver)
{
    RESOLVER_TABLE *table = (RESOLVER_TABLE *) resolver;

    g_hash_table_destroy(table->names);
    g_free(table);
}

/* resolver_table_new - an empty table */

RESOLVER *resolver_table_new(void)
{
    RESOLVER_TABLE *table = g_new0(RESOLVER_TABLE, 1);

    table->resolver.name = "table";
    table->resolver.query = table_query;
    table->resolver.free = table_free;
    table->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, name_free);
    return (&table->resolver);
}
