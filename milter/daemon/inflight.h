#ifndef MILTER_INFLIGHT_H
#define MILTER_INFLIGHT_H

/*++
/* NAME
/*	inflight 3h
/* SUMMARY
/*	support messages in flight, so that a stop can let them finish
/* SYNOPSIS
/*	#include <milter/daemon/inflight.h>
/*
/*	int	inflight_begin(void)
/*
/*	void	inflight_end(void)
/*
/*	int	inflight_drain(int seconds)
/* DESCRIPTION
/*	On SIGTERM libmilter closes the listening socket and returns from
/*	smfi_main(), while the threads of open connections go on. The
/*	daemon then waits for the support messages they are receiving or
/*	storing, so that each one gets its answer (stored and 250, or a
/*	4xx) before the process exits.
/*
/*	inflight_begin() counts one more message (at DATA); it returns -1
/*	once a drain has begun, and the caller tempfails the message.
/*	inflight_end() counts one less (answered, aborted, or connection
/*	closed).
/*
/*	inflight_drain() refuses new messages, waits until none is in
/*	flight or the time is up, and returns how many are still in flight.
/*--*/

extern int inflight_begin(void);
extern void inflight_end(void);
extern int inflight_drain(int);

#endif
