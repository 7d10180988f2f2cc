/*++
/* NAME
/*	ticket_status 3
/* SUMMARY
/*	the statuses a ticket can have
/* DESCRIPTION
/*	See ticket_status.h.
/*--*/

/* System library. */
#include <string.h>

/* Global library. */
#include <milter/core/ticket_status.h>

/* ticket_status_known - a status a ticket can have */

int     ticket_status_known(const char *status)
{
    static const char *const statuses[] = {"new", "open", "pending", "solved", "closed", "spam", 0};

    for (int i = 0; statuses[i]; i++)
	if (strcmp(statuses[i], status) == 0)
	    return (1);
    return (0);
}
