/*++
/* NAME
/*	queue_addr 3
/* SUMMARY
/*	support addresses: normal form and reply-address extensions
/* DESCRIPTION
/*	See queue_addr.h.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/queue_addr.h>

/* queue_addr_normalize - lower-case local@domain without angle brackets */

char   *queue_addr_normalize(const char *address)
{
    size_t  len = strlen(address);
    const char *at;

    if (len >= 2 && address[0] == '<' && address[len - 1] == '>') {
	address++;
	len -= 2;
    }
    at = memchr(address, '@', len);
    if (at == NULL || at == address || at == address + len - 1
	|| memchr(address, ' ', len) || memchr(at + 1, '@', address + len - at - 1))
	return (NULL);
    return (g_ascii_strdown(address, (gssize) len));
}

/* queue_addr_base - the address with its +extension removed */

char   *queue_addr_base(const char *address, const char *delimiters, char **extension)
{
    char   *norm = queue_addr_normalize(address);
    char   *at, *cut;
    char   *base;

    if (extension)
	*extension = NULL;
    if (norm == NULL)
	return (NULL);
    at = strrchr(norm, '@');
    *at = 0;
    cut = *delimiters ? strpbrk(norm, delimiters) : NULL;
    if (cut == NULL || cut == norm) {
	*at = '@';
	return (norm);
    }
    if (extension)
	*extension = g_strdup(cut + 1);
    *cut = 0;
    base = g_strconcat(norm, "@", at + 1, NULL);
    g_free(norm);
    return (base);
}
