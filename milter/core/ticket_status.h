#ifndef MILTER_TICKET_STATUS_H
#define MILTER_TICKET_STATUS_H

/*++
/* NAME
/*	ticket_status 3h
/* SUMMARY
/*	the statuses a ticket can have
/* SYNOPSIS
/*	#include <milter/core/ticket_status.h>
/*
/*	int	ticket_status_known(const char *status)
/* DESCRIPTION
/*	ticket_status_known() is 1 for a status of the tickets table's
/*	CHECK (new, open, pending, solved, closed, spam), else 0: ticketctl
/*	and ticket-api check a filter before it reaches the database.
/*--*/

extern int ticket_status_known(const char *);

#endif
