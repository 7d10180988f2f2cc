/*++
/* NAME
/*	null_milter 1
/* SUMMARY
/*	the cheapest possible milter: the floor for bench_mta.sh
/* SYNOPSIS
/*	null_milter SOCKET
/* DESCRIPTION
/*	A libmilter filter that negotiates every step away and accepts each
/*	connection at CONNECT, so the MTA sends it nothing else. What Postfix
/*	loses with it attached is what any libmilter milter costs, before it
/*	does any work: the reference for ticket-milter's figure (b).
/*--*/

#include <stdio.h>
#include <libmilter/mfapi.h>

/* The steps the MTA may leave out: all but CONNECT. */
#define SKIP_STEPS	(SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NODATA | \
			 SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN)

/* null_negotiate - no actions, no steps after CONNECT */

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			               unsigned long f2, unsigned long f3,
			               unsigned long *pf0, unsigned long *pf1,
			               unsigned long *pf2, unsigned long *pf3)
{
    *pf0 = 0;
    *pf1 = f1 & SKIP_STEPS;
    *pf2 = *pf3 = 0;
    return (SMFIS_CONTINUE);
}

/* null_connect - accept the whole connection */

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    return (SMFIS_ACCEPT);
}

int     main(int argc, char **argv)
{
    struct smfiDesc desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_connect = null_connect,
	.xxfi_negotiate = null_negotiate,
    };

    if (argc != 2) {
	fprintf(stderr, "usage: null_milter SOCKET\n");
	return (2);
    }
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
	fprintf(stderr, "null_milter: cannot use socket %s\n", argv[1]);
	return (1);
    }
    return (smfi_main() == MI_SUCCESS ? 0 : 1);
}
