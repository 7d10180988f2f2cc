#ifndef MILTER_NETLIST_H
#define MILTER_NETLIST_H

/*++
/* NAME
/*	netlist 3h
/* SUMMARY
/*	a list of IP addresses and networks, such as InternalHosts
/* SYNOPSIS
/*	#include <milter/util/netlist.h>
/*
/*	NETLIST	*netlist_parse(const char *text, TM_ERROR *err)
/*
/*	int	netlist_contains(const NETLIST *list, const char *ip)
/*
/*	void	netlist_free(NETLIST *list)
/* DESCRIPTION
/*	netlist_parse() reads IPv4 and IPv6 addresses and networks
/*	(address/prefix), separated by spaces or commas; "" is the empty
/*	list. netlist_contains() tells whether the textual address ip lies
/*	in one of them; an IPv4-mapped IPv6 address counts as IPv4. A null
/*	list or address contains nothing.
/* DIAGNOSTICS
/*	netlist_parse() returns NULL and fills err for an entry that is no
/*	address or has a prefix out of range.
/*--*/

/* Utility library. */
#include <milter/util/log.h>

typedef struct NETLIST NETLIST;

extern NETLIST *netlist_parse(const char *, TM_ERROR *);
extern int netlist_contains(const NETLIST *, const char *);
extern void netlist_free(NETLIST *);

#endif
