/*++
/* NAME
/*	netlist 3
/* SUMMARY
/*	a list of IP addresses and networks, such as InternalHosts
/* DESCRIPTION
/*	See netlist.h. Every entry is kept as 16 bytes (IPv4 as an
/*	IPv4-mapped IPv6 address) and a prefix length counted on them.
/*--*/

/* System library. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/netlist.h>

typedef struct NET {
    unsigned char addr[16];
    int     prefix;
} NET;

struct NETLIST {
    GArray *nets;			/* NET */
};

/* parse_addr - text to 16 bytes; *bits is 32 for IPv4, 128 for IPv6 */

static int parse_addr(const char *text, unsigned char addr[16], int *bits)
{
    struct in_addr v4;

    memset(addr, 0, 16);
    if (inet_pton(AF_INET, text, &v4) == 1) {
	addr[10] = addr[11] = 0xff;
	memcpy(addr + 12, &v4, 4);
	*bits = 32;
	return (0);
    }
    *bits = 128;
    return (inet_pton(AF_INET6, text, addr) == 1 ? 0 : -1);
}

/* parse_net - one "address[/prefix]" entry */

static int parse_net(const char *entry, NET *net, TM_ERROR *err)
{
    char   *text = g_strdup(entry), *slash = strchr(text, '/'), *end;
    int     bits, ret = 0;
    long    prefix;

    if (slash)
	*slash++ = 0;
    if (parse_addr(text, net->addr, &bits) < 0) {
	ret = tm_error(err, "\"%s\" is not an IP address or network", entry);
    } else if (slash) {
	prefix = strtol(slash, &end, 10);
	if (*slash == 0 || *end != 0 || prefix < 0 || prefix > bits)
	    ret = tm_error(err, "\"%s\": prefix length must be 0..%d", entry, bits);
	net->prefix = (int) prefix + (128 - bits);
    } else {
	net->prefix = 128;
    }
    g_free(text);
    return (ret);
}

/* netlist_parse - read a list of addresses and networks */

NETLIST *netlist_parse(const char *text, TM_ERROR *err)
{
    NETLIST *list = g_new0(NETLIST, 1);
    char  **entries = g_strsplit_set(text ? text : "", " \t,", -1);
    NET     net;

    list->nets = g_array_new(FALSE, FALSE, sizeof(NET));
    for (char **e = entries; *e; e++) {
	if (**e == 0)
	    continue;
	if (parse_net(*e, &net, err) < 0) {
	    g_strfreev(entries);
	    netlist_free(list);
	    return (NULL);
	}
	g_array_append_val(list->nets, net);
    }
    g_strfreev(entries);
    return (list);
}

/* net_contains - the first prefix bits of both addresses are equal */

static int net_contains(const NET *net, const unsigned char addr[16])
{
    int     whole = net->prefix / 8, rest = net->prefix % 8;
    unsigned char mask = (unsigned char) (0xff << (8 - rest));

    if (memcmp(net->addr, addr, whole) != 0)
	return (0);
    return (rest == 0 || (net->addr[whole] & mask) == (addr[whole] & mask));
}

/* netlist_contains - is the address in one of the networks? */

int     netlist_contains(const NETLIST *list, const char *ip)
{
    unsigned char addr[16];
    int     bits;

    if (list == NULL || ip == NULL || parse_addr(ip, addr, &bits) < 0)
	return (0);
    for (guint i = 0; i < list->nets->len; i++)
	if (net_contains(&g_array_index(list->nets, NET, i), addr))
	    return (1);
    return (0);
}

/* netlist_free - release a list */

void    netlist_free(NETLIST *list)
{
    if (list == NULL)
	return;
    g_array_free(list->nets, TRUE);
    g_free(list);
}
