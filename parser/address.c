/*++
/* NAME
/*	address 3
/* SUMMARY
/*	collect and normalize the mailboxes of an address header
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	void	address_collect(GArray *out, InternetAddressList *list,
/*				size_t max)
/*
/*	void	address_free(GArray *out)
/*
/*	char	*address_normalize(const char *addr)
/* DESCRIPTION
/*	address_collect() appends the mailboxes of list (may be null) to
/*	out, an array of MAIL_ADDRESS, flattening groups and keeping at
/*	most max entries. Display names arrive decoded from RFC 2047 by
/*	gmime and are made valid UTF-8 here; an empty name becomes NULL.
/*
/*	address_free() frees the array and the strings it owns.
/*
/*	address_normalize() returns a newly allocated local@domain with
/*	surrounding white space, angle brackets and a trailing dot of the
/*	domain removed and the domain lower-cased, or NULL when nothing
/*	is left. The local part keeps its case (RFC 5321 says it may
/*	matter); the store compares addresses case-insensitively.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* address_normalize - local@domain with a lower-case domain */

char   *address_normalize(const char *addr)
{
    char   *s;
    char   *at;
    size_t  n;

    if (addr == NULL)
	return (NULL);
    s = charset_clean_utf8(addr, strlen(addr), NULL);
    g_strstrip(s);
    n = strlen(s);
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
	memmove(s, s + 1, n - 2);
	s[n - 2] = 0;
	g_strstrip(s);
	n = strlen(s);
    }
    if (n > 0 && s[n - 1] == '.')
	s[--n] = 0;
    if (n == 0) {
	g_free(s);
	return (NULL);
    }
    if ((at = strrchr(s, '@')) != NULL) {
	char   *dom = g_utf8_strdown(at + 1, -1);

	*at = 0;
	at = g_strconcat(s, "@", dom, NULL);
	g_free(dom);
	g_free(s);
	s = at;
    }
    return (s);
}

/* address_collect - append the mailboxes of an address list */

void    address_collect(GArray *out, InternetAddressList *list, size_t max)
{
    if (list == NULL)
	return;
    for (int i = 0; i < internet_address_list_length(list) && out->len < max; i++) {
	InternetAddress *ia = internet_address_list_get_address(list, i);

	if (INTERNET_ADDRESS_IS_GROUP(ia)) {
	    address_collect(out, internet_address_group_get_members(
				       INTERNET_ADDRESS_GROUP(ia)), max);
	} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
	    MAIL_ADDRESS ma;
	    const char *name = internet_address_get_name(ia);

	    ma.address = address_normalize(
		       internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	    if (ma.address == NULL)
		continue;
	    ma.name = NULL;
	    if (name && *name) {
		ma.name = charset_clean_utf8(name, strlen(name), NULL);
		g_strstrip(ma.name);
		if (*ma.name == 0) {
		    g_free(ma.name);
		    ma.name = NULL;
		}
	    }
	    g_array_append_val(out, ma);
	}
    }
}

/* address_free - free an array of MAIL_ADDRESS */

void    address_free(GArray *out)
{
    if (out == NULL)
	return;
    for (guint i = 0; i < out->len; i++) {
	MAIL_ADDRESS *ma = &g_array_index(out, MAIL_ADDRESS, i);

	g_free(ma->name);
	g_free(ma->address);
    }
    g_array_free(out, TRUE);
}
