#ifndef MILTER_SMTP_SUBMIT_H
#define MILTER_SMTP_SUBMIT_H

/*++
/* NAME
/*	smtp_submit 3h
/* SUMMARY
/*	hand one message to the MTA by SMTP (libcurl)
/* SYNOPSIS
/*	#include <milter/smtp_submit.h>
/*
/*	int	smtp_submit(const char *relay, int timeout,
/*			    const char *from, const char *rcpt,
/*			    const char *data, size_t len,
/*			    int *permanent, TM_ERROR *err)
/* DESCRIPTION
/*	smtp_submit() sends data (a message with CRLF line ends) to relay
/*	("host:port", the MTA's listener without this milter) for one
/*	recipient, within timeout seconds. curl_global_init() must have
/*	been called once before threads start.
/* DIAGNOSTICS
/*	-1 with the reason (the server's reply when there was one) in err;
/*	*permanent is set for a 5xx answer, clear for what may be retried
/*	(4xx, connection refused, timeout). A sender or recipient that
/*	addr_unsafe() refuses (a control character, white space...) is
/*	not sent at all: -1, *permanent set, the address escaped in err.
/*--*/

#include <stddef.h>
#include <milter/log.h>

extern int smtp_submit(const char *, int, const char *, const char *, const char *,
		               size_t, int *, TM_ERROR *);

#endif
