#ifndef MILTER_INGEST_H
#define MILTER_INGEST_H

/*++
/* NAME
/*	ingest 3h
/* SUMMARY
/*	store one support message: what the database is told about it
/* SYNOPSIS
/*	#include <milter/ingest.h>
/*
/*	int	ingest_message(STORE *store, const SESSION *session,
/*			       const char *mta_queue_id, const MAIL *mail,
/*			       const char *raw, size_t raw_len,
/*			       char **ticket_number, TM_ERROR *err)
/* DESCRIPTION
/*	ingest_message() describes the message (envelope, client, parsed
/*	identity) as the JSON that the SQL function ingest_message()
/*	takes, and stores it with the exact raw bytes in one transaction.
/*	On success *ticket_number is the ticket's number (g_free it).
/* DIAGNOSTICS
/*	-1 with the reason in err; nothing was stored.
/*--*/

#include <parser/mail.h>
#include <milter/session.h>
#include <milter/store.h>

extern int ingest_message(STORE *, const SESSION *, const char *, const MAIL *,
			          const char *, size_t, char **, TM_ERROR *);

#endif
