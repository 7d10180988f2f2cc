#ifndef MILTER_SMTP_SUBMIT_H
#define MILTER_SMTP_SUBMIT_H

/*++
/* NAME
/*	smtp_submit 3h
/* SUMMARY
/*	hand messages to the MTA by SMTP (libcurl)
/* SYNOPSIS
/*	#include <milter/util/smtp_submit.h>
/*
/*	SMTP_CLIENT *smtp_client_new(void)
/*
/*	int	smtp_client_send(SMTP_CLIENT *client, const char *relay,
/*				 int timeout, const char *from,
/*				 const char *rcpt, const char *data,
/*				 size_t len, int *permanent, TM_ERROR *err)
/*
/*	void	smtp_client_free(SMTP_CLIENT *client)
/*
/*	int	smtp_submit(const char *relay, int timeout,
/*			    const char *from, const char *rcpt,
/*			    const char *data, size_t len,
/*			    int *permanent, TM_ERROR *err)
/* DESCRIPTION
/*	smtp_client_send() sends data (a message with CRLF line ends) to
/*	relay ("host:port", the MTA's listener without this milter) for
/*	one recipient, within timeout seconds. The client keeps its SMTP
/*	connection open for the next mail (one client per thread; a
/*	client is not shared). smtp_client_free() closes it (null is
/*	fine). smtp_submit() sends one message on a connection of its
/*	own. curl_global_init() must have been called once before
/*	threads start.
/* DIAGNOSTICS
/*	-1 with the reason in err: the server's whole reply when there was
/*	one ("SMTP to host:port: 550 5.1.1 <a@b>: Recipient address
/*	rejected: ... (RCPT failed: 550)"), else libcurl's; *permanent is
/*	set for a 5xx answer, clear for what may be retried (4xx,
/*	connection refused, timeout). A sender or recipient that
/*	addr_unsafe() refuses (a control character, white space...) is
/*	not sent at all: -1, *permanent set, the address escaped in err.
/*--*/

/* System library. */
#include <stddef.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct SMTP_CLIENT SMTP_CLIENT;

extern SMTP_CLIENT *smtp_client_new(void);
extern int smtp_client_send(SMTP_CLIENT *, const char *, int, const char *, const char *,
			            const char *, size_t, int *, TM_ERROR *);
extern void smtp_client_free(SMTP_CLIENT *);
extern int smtp_submit(const char *, int, const char *, const char *, const char *,
		               size_t, int *, TM_ERROR *);

#endif
