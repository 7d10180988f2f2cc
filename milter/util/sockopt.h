#ifndef MILTER_SOCKOPT_H
#define MILTER_SOCKOPT_H

/*++
/* NAME
/*	sockopt 3h
/* SUMMARY
/*	socket options for the MTA connections libmilter accepts
/* SYNOPSIS
/*	#include <milter/util/sockopt.h>
/*
/*	void	sockopt_no_delay(void)
/* DESCRIPTION
/*	sockopt_no_delay() is called once, right after smfi_opensocket():
/*	it sets TCP_NODELAY on the listening TCP socket(s) of the process,
/*	which the connections libmilter accepts inherit (Linux). At end of
/*	message the milter sends several small replies in a row (add or
/*	insert a header, delete a recipient, then the verdict); with
/*	Nagle's algorithm the last one waits for the MTA's delayed ACK,
/*	40 ms per message. libmilter does not give us its socket, so the
/*	listening socket is found among the open descriptors. A unix-domain
/*	socket (Socket local:...) has no such delay and is left alone.
/* DIAGNOSTICS
/*	None: without the option, mail still flows, only slower.
/*--*/

extern void sockopt_no_delay(void);

#endif
