/*++
/* NAME
/*	null_milter 1
/* SUMMARY
/*	the cheapest possible milters: the floors for bench_mta.sh
/* SYNOPSIS
/*	null_milter SOCKET [connect|data]
/* DESCRIPTION
/*	A libmilter filter that does no work in its callbacks. What Postfix
/*	loses with it attached is what any libmilter milter costs, before it
/*	does any work: the references for ticket-milter's figure (b).
/*
/*	connect (the default): every step negotiated away, each connection
/*	accepted at CONNECT, so the MTA sends it nothing else.
/*
/*	data: the steps ticket-milter needs to see the recipients, negotiated
/*	as ticket-milter does (no CONNECT event, no reply awaited for HELO,
/*	MAIL and RCPT), and each message accepted at DATA: the cheapest way
/*	to step aside for mail after seeing all of its recipients.
/*--*/

#include <stdio.h>
#include <string.h>
#include <libmilter/mfapi.h>

/* The steps the MTA may leave out: all but CONNECT. */
#define SKIP_STEPS	(SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NODATA | \
			 SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN)
/* The steps of "data" mode: those of ticket-milter (milter/daemon/callbacks.c). */
#define DATA_STEPS	(SMFIP_NOCONNECT | SMFIP_NOUNKNOWN | SMFIP_NR_HELO | \
			 SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | \
			 SMFIP_NR_BODY)

static int accept_at_data;

/* null_negotiate - no actions; every step away, or those up to DATA */

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			               unsigned long f2, unsigned long f3,
			               unsigned long *pf0, unsigned long *pf1,
			               unsigned long *pf2, unsigned long *pf3)
{
    *pf0 = 0;
    *pf1 = f1 & (accept_at_data ? DATA_STEPS : SKIP_STEPS);
    *pf2 = *pf3 = 0;
    return (SMFIS_CONTINUE);
}

/* null_connect - accept the whole connection */

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    return (SMFIS_ACCEPT);
}

/* null_helo - nothing; no reply is awaited */

static sfsistat null_helo(SMFICTX *ctx, char *helo)
{
    return (SMFIS_NOREPLY);
}

/* null_envelope - MAIL FROM or RCPT TO: nothing; no reply is awaited */

static sfsistat null_envelope(SMFICTX *ctx, char **argv)
{
    return (SMFIS_NOREPLY);
}

/* null_data - accept the message */

static sfsistat null_data(SMFICTX *ctx)
{
    return (SMFIS_ACCEPT);
}

int     main(int argc, char **argv)
{
    struct smfiDesc desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envelope,
	.xxfi_envrcpt = null_envelope,
	.xxfi_data = null_data,
	.xxfi_negotiate = null_negotiate,
    };

    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "connect") != 0
				 && strcmp(argv[2], "data") != 0)) {
	fprintf(stderr, "usage: null_milter SOCKET [connect|data]\n");
	return (2);
    }
    accept_at_data = argc == 3 && strcmp(argv[2], "data") == 0;
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
	fprintf(stderr, "null_milter: cannot use socket %s\n", argv[1]);
	return (1);
    }
    return (smfi_main() == MI_SUCCESS ? 0 : 1);
}
