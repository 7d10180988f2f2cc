#ifndef MILTER_QUEUE_CACHE_H
#define MILTER_QUEUE_CACHE_H

/*++
/* NAME
/*	queue_cache 3h
/* SUMMARY
/*	the support addresses, kept in memory and current
/* SYNOPSIS
/*	#include <milter/daemon/queue_cache.h>
/*
/*	void	queue_cache_start(const char *conninfo, int refresh,
/*				  int timeout)
/*
/*	int	queue_cache_lookup(const char *base_address)
/*
/*	void	queue_cache_stop(void)
/* DESCRIPTION
/*	Classifying a recipient must not cost a database round trip, so
/*	the daemon keeps the queue addresses in memory. A thread per region
/*	(config->regions, read at start: QueueRefresh, DatabaseTimeout) holds its
/*	own connection, LISTENs for the notification that the queues
/*	table sends on every change (ticketctl queue add takes effect at
/*	once), and reloads every refresh seconds as well. While the
/*	database is away, the last list stays in use. A read that takes
/*	longer than timeout seconds (the DatabaseTimeout: a held lock, a
/*	hung server) is cancelled and logged, and tried again on a new
/*	connection 2 s later. On each new connection the thread brings
/*	the database's SQL functions to this build's (migrations_ready()):
/*	a database that was away when the daemon started gets them when
/*	it comes.
/*
/*	queue_cache_lookup() takes a normalized address without extension
/*	and returns 1 for a support address, 0 for another address, and
/*	-1 while no list was ever loaded (the caller tempfails: it cannot
/*	tell support mail from other mail).
/*--*/

/* Global library. */
#include <milter/core/config.h>

extern void queue_cache_start(const CONFIG *);
extern int queue_cache_lookup(const char *, int *);
extern GPtrArray *queue_cache_foreign(int);
extern void queue_cache_stop(void);

#endif
