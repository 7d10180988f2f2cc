#ifndef MILTER_REGION_INGEST_H
#define MILTER_REGION_INGEST_H

/*++
/* NAME
/*	region_ingest 3h
/* SUMMARY
/*	store a support message in the region of each queue it is for
/* SYNOPSIS
/*	#include <milter/daemon/region_ingest.h>
/*
/*	void	region_ingest_start(const CONFIG *config)
/*
/*	int	region_ingest(const CONFIG *config, const SESSION *session,
/*			      const char *qid, const MAIL *mail,
/*			      const char *raw, size_t raw_len,
/*			      INGEST_RESULT *result, TM_ERROR *err)
/*
/*	void	region_ingest_stop(void)
/* DESCRIPTION
/*	Each region (Database, and each Region line) is its own database
/*	with its own connection pool (store(3)), opened by
/*	region_ingest_start() with DatabaseConnections each.
/*
/*	region_ingest() stores the message once in each region that holds
/*	one of its support queues, with only that region's queues and
/*	reply tokens in the envelope: threading, tokens and the outbox
/*	stay inside a region, and a region's database never gets what was
/*	for another. Each region's transaction is its own. When one
/*	fails, the result is a failure (the MTA tempfails the message);
/*	the regions that committed recognise the retry as stored before
/*	(a duplicate), so each region ends with the message once. After
/*	each commit that queued mail, that region's outbox senders are
/*	woken.
/*
/*	The result of several regions is one: ticket numbers, rules,
/*	confirmations and notifications joined with ",", created when one
/*	ticket was, a duplicate when every region said so, the relay of
/*	the region that has one (the first, if several), and a discard
/*	only when every region discards.
/*
/*	region_ingest_stop() frees the pools (call it only when no
/*	message is in flight).
/* DIAGNOSTICS
/*	-1 with the reason in err, naming the region when there are
/*	several; err->code as ingest_message() sets it.
/*--*/

/* System library. */
#include <stddef.h>

/* Parser library. */
#include <parser/mail.h>

/* Global library. */
#include <milter/core/config.h>
#include <milter/core/ingest.h>

/* Application-specific. */
#include <milter/daemon/session.h>

extern void region_ingest_start(const CONFIG *);
extern int region_ingest(const CONFIG *, const SESSION *, const char *, const MAIL *,
			         const char *, size_t, INGEST_RESULT *, TM_ERROR *);
extern void region_ingest_stop(void);

#endif
