#ifndef MILTER_RESOLVER_H
#define MILTER_RESOLVER_H

/*++
/* NAME
/*	resolver 3h
/* SUMMARY
/*	DNS questions behind one interface: the name servers, or a table
/* SYNOPSIS
/*	#include <milter/util/resolver.h>
/*
/*	RESOLVER *resolver_dns_new(int timeout, size_t cache_size)
/*	void	resolver_dns_server(RESOLVER *resolver, const char *ip, int port)
/*
/*	RESOLVER *resolver_table_new(void)
/*	int	resolver_table_add(RESOLVER *resolver, const char *name,
/*				   const char *type, const char *data,
/*				   TM_ERROR *err)
/*	int	resolver_table_load(RESOLVER *resolver, const char *path,
/*				    TM_ERROR *err)
/*
/*	int	resolver_query(RESOLVER *resolver, const char *name, int type,
/*			       unsigned char *answer, size_t size)
/*	int	resolver_truncated(const unsigned char *answer, int len,
/*				   size_t size)
/*	int	resolver_txt(RESOLVER *resolver, const char *name,
/*			     GPtrArray *texts)
/*	char	*resolver_txt_rdata(const unsigned char *rdata, size_t len)
/*	void	resolver_free(RESOLVER *resolver)
/* DESCRIPTION
/*	A RESOLVER answers DNS questions with whole DNS messages, as a
/*	name server does, so that whoever parses them (libspf2's layer,
/*	libopendkim, our TXT lookup) parses the same bytes whichever
/*	backend answered. Two backends, one file each, as OpenSMTPD's
/*	queue backends: resolver_dns.c asks the name servers, resolver_table.c
/*	answers from a table. A backend fills the function pointers of
/*	its RESOLVER, which is the first member of its own state.
/*
/*	resolver_dns_new() asks the name servers of resolv.conf, in short
/*	attempts bounded by timeout seconds in all, and keeps the answers
/*	in a cache of at most cache_size bytes (0: none); see
/*	resolver_dns.c. resolver_dns_server() is for unit tests: from then
/*	on this resolver asks the one IPv4 server ip:port over UDP
/*	(TCP still goes to resolv.conf's); call it before any thread asks.
/*
/*	resolver_table_new() answers from records added with
/*	resolver_table_add() or resolver_table_load(), and asks nobody.
/*	It is for tests only: ticket-milter has no key to choose it and
/*	does not link it (tests/layout/t_layers.sh checks). type is one
/*	of "TXT" (data: the text; longer than 255 bytes, it is split into
/*	character-strings), "A", "AAAA" (an address), "MX" ("PREFERENCE
/*	HOST"), "PTR" (a host) or "SERVFAIL" (data NULL: every question
/*	about the name fails). A name without records is NXDOMAIN; a name
/*	with records of other types only, NOERROR without an answer.
/*	resolver_table_load() reads a file of "NAME TYPE DATA" lines (data
/*	to the end of the line; blank lines and lines starting with # are
/*	skipped). Add every record before the first question: lookups
/*	then only read the table.
/*
/*	resolver_query() asks one question (class IN) and returns the
/*	length of the whole answer in answer, whatever its rcode, or -1
/*	when none came (timeout, no server) or it was truncated: longer
/*	than size, or with the TC flag set. resolver_truncated() is that
/*	test, for backends that must not keep such an answer.
/*
/*	resolver_txt() appends the TXT records of name to texts (each
/*	record's strings joined) and returns RESOLVER_FOUND, RESOLVER_NONE
/*	(no such name, or no TXT) or RESOLVER_TEMPFAIL (no answer,
/*	SERVFAIL and other failures). resolver_txt_rdata() joins the
/*	character-strings of one TXT record (g_free the result).
/*
/*	resolver_free() closes a resolver of either backend.
/*
/*	Every function but the constructors, resolver_dns_server() and
/*	the table's adding may be called from any number of threads at
/*	once.
/* DIAGNOSTICS
/*	resolver_table_add() and resolver_table_load() return -1 and fill
/*	err for an unknown type, data that does not fit the type, or a
/*	file that cannot be read; resolver_table_load() names the line.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

#define RESOLVER_FOUND		0
#define RESOLVER_NONE		1
#define RESOLVER_TEMPFAIL	2

typedef struct RESOLVER RESOLVER;

/* What a backend provides; its own state follows in its struct. */
struct RESOLVER {
    const char *name;			/* "dns" or "table" */
    int     (*query) (RESOLVER *, const char *, int, unsigned char *, size_t);
    void    (*free) (RESOLVER *);
};

extern RESOLVER *resolver_dns_new(int, size_t);
extern void resolver_dns_server(RESOLVER *, const char *, int);

extern RESOLVER *resolver_table_new(void);
extern int resolver_table_add(RESOLVER *, const char *, const char *, const char *,
			              TM_ERROR *);
extern int resolver_table_load(RESOLVER *, const char *, TM_ERROR *);

extern int resolver_query(RESOLVER *, const char *, int, unsigned char *, size_t);
extern int resolver_truncated(const unsigned char *, int, size_t);
extern int resolver_txt(RESOLVER *, const char *, GPtrArray *);
extern char *resolver_txt_rdata(const unsigned char *, size_t);
extern void resolver_free(RESOLVER *);

#endif
