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
/*	reply tokens in the envelope, and the other regions' queue
/*	addresses, which count as queue addresses there too (no
/*	participant, no relay recipient): threading, tokens and the outbox
/*	stay inside a region, and a region's database never gets what was
/*	for another. A message for one region is one transaction,
/*	committed at once. A message for several is stored in each region
/*	in a transaction held open (store_ingest(3)), and committed in each
/*	only when every region has stored it; a failure or a refusal in
/*	one rolls back all, and so does a message that would relay an
/*	agent's answer in two regions (refused: TM001). Only a COMMIT that
/*	fails after another region's succeeded leaves the message in some
/*	regions; the client's retry is then recognised there as stored
/*	before (a duplicate). After the commits, the outbox senders of the
/*	regions are woken.
/*
/*	The result of several regions is one: ticket numbers, rules,
/*	confirmations and notifications joined with ",", created when one
/*	ticket was, a duplicate when every region said so, the relay of
/*	the region that has one, and a discard only when every region
/*	discards.
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
