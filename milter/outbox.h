#ifndef MILTER_OUTBOX_H
#define MILTER_OUTBOX_H

/*++
/* NAME
/*	outbox 3h
/* SUMMARY
/*	the outbox sender: submit queued outgoing mail, with retries
/* SYNOPSIS
/*	#include <milter/outbox.h>
/*
/*	void	outbox_start(const CONFIG *config)
/*
/*	int	outbox_send_due(PGconn *conn, const CONFIG *config)
/*
/*	void	outbox_stop(void)
/* DESCRIPTION
/*	Outgoing mail (confirmations, agent notifications) is written to
/*	the outbox table in the transaction that stored its cause. The
/*	sender is a thread of the daemon, so it shares the configuration
/*	and needs no process of its own; several daemons on several hosts
/*	may share one database, since each takes due rows with FOR UPDATE
/*	SKIP LOCKED. It wakes on the outbox's notification, and polls
/*	every OutboxPoll seconds as well.
/*
/*	Each mail is rendered (compose), submitted by SMTP to OutboxRelay,
/*	the MTA's listener without this milter, and recorded as sent (and
/*	as an outgoing message of its ticket) in the same transaction that
/*	locked it. A temporary failure is retried with backoff; a
/*	permanent one, or OutboxMaxAttempts attempts, marks it failed with
/*	the reason (`ticketctl outbox --failed`, `ticketctl outbox retry`).
/*
/*	outbox_send_due() sends what is due now and returns how many
/*	mails it tried (for tests and the thread). outbox_start() does
/*	nothing when OutboxRelay is "none".
/*--*/

#include <libpq-fe.h>
#include <milter/config.h>

extern void outbox_start(const CONFIG *);
extern int outbox_send_due(PGconn *, const CONFIG *);
extern void outbox_stop(void);

#endif
