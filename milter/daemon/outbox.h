#ifndef MILTER_OUTBOX_H
#define MILTER_OUTBOX_H

/*++
/* NAME
/*	outbox 3h
/* SUMMARY
/*	the outbox sender: submit queued outgoing mail, with retries
/* SYNOPSIS
/*	#include <milter/daemon/outbox.h>
/*
/*	void	outbox_start(const CONFIG *config)
/*
/*	void	outbox_wake(int region)
/*
/*	void	outbox_stop(void)
/* DESCRIPTION
/*	Outgoing mail (confirmations, agent notifications) is written to
/*	the outbox table in the transaction that stored its cause. The
/*	senders are OutboxSenders threads of the daemon for each region
/*	(each region's outbox is in its database), so they share the
/*	configuration and need no process of their own; each has its own
/*	database connection and its own connection to the relay. Threads
/*	and several daemons on several hosts may share one database,
/*	since each takes due rows with FOR UPDATE SKIP LOCKED.
/*
/*	Storing a message does not notify (a NOTIFY serializes every
/*	committing transaction that sends one, see sql/015): the daemon
/*	that stored it calls outbox_wake() with the region's index after
/*	the commit, which wakes its own senders of that region at once. Mail that another daemon stored is found
/*	within OutboxPoll seconds; mail made due again (ticketctl outbox
/*	retry) is announced by the outbox's notification.
/*
/*	Each mail is rendered (compose), submitted by SMTP to OutboxRelay,
/*	the MTA's listener without this milter, and recorded as sent (and
/*	as an outgoing message of its ticket) in the same transaction that
/*	locked it. A temporary failure is retried with backoff; a
/*	permanent one, or OutboxMaxAttempts attempts, marks it failed with
/*	the reason (`ticketctl outbox --failed`, `ticketctl outbox retry`).
/*
/*	Every query of a sender ends within DatabaseTimeout (worker(3)):
/*	past it, it is cancelled, a warning names what the sender was
/*	doing, and the sender closes its connection, which rolls back its
/*	transaction, and tries again 2 s later. The mail it had locked
/*	stays pending; it was not submitted unless the database stalled
/*	only after the relay took it (then it is sent again, as after a
/*	crash).
/*
/*	outbox_start() does nothing when OutboxRelay is "none"; then
/*	outbox_wake() does nothing either. outbox_wake() never blocks and
/*	may be called from any thread.
/*--*/

/* Global library. */
#include <milter/core/config.h>

extern void outbox_start(const CONFIG *);
extern void outbox_wake(int);
extern void outbox_stop(void);

#endif
