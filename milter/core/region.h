#ifndef MILTER_REGION_H
#define MILTER_REGION_H

/*++
/* NAME
/*	region 3h
/* SUMMARY
/*	a database as one region: its name checked, its ticket numbers apart
/* SYNOPSIS
/*	#include <milter/core/region.h>
/*
/*	int	region_verify(PGconn *conn, const CONFIG *config, int region,
/*			      TM_ERROR *err)
/*
/*	int	region_claim_all(PGconn *const *conns, const CONFIG *config,
/*				 FILE *out, TM_ERROR *err)
/* DESCRIPTION
/*	Each region of the configuration (config->regions) is its own
/*	database; the database records which region it is
/*	(sql/functions/region.sql), so that a Region line that names
/*	another region's database is found before mail goes there.
/*
/*	region_verify() returns 0 when the database on conn is the region
/*	of that index: named so (an unnamed one only while it is the only
/*	region), and with ticket numbers apart from the others' when
/*	there are several; 1 when it is not, -1 when it could not ask,
/*	both with the reason in err.
/*
/*	region_claim_all() is ticketctl migrate's last step, with conns[i]
/*	the connection to region i (all of them): it names each database
/*	still unnamed, and when there are several regions, gives each one
/*	still without a slot the lowest free one, its numbers starting
/*	above every number any region has given. It prints a line to out
/*	for each region it changed.
/* DIAGNOSTICS
/*	region_claim_all(): -1 with the reason in err (naming the region).
/*--*/

/* System library. */
#include <stdio.h>

/* External libraries. */
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/config.h>

extern int region_verify(PGconn *, const CONFIG *, int, TM_ERROR *);
extern int region_claim_all(PGconn *const *, const CONFIG *, FILE *, TM_ERROR *);

#endif
