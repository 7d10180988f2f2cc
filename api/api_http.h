#ifndef API_API_HTTP_H
#define API_API_HTTP_H

/*++
/* NAME
/*	api_http 3h
/* SUMMARY
/*	ticket-api's HTTP side: one request from its headers to its reply
/* SYNOPSIS
/*	#include <api/api_http.h>
/* DESCRIPTION
/*	See api_http.c.
/*--*/

/* External libraries. */
#include <microhttpd.h>

extern enum MHD_Result api_http_access(void *, struct MHD_Connection *, const char *,
				               const char *, const char *, const char *,
				               size_t *, void **);
extern void api_http_completed(void *, struct MHD_Connection *, void **,
			               enum MHD_RequestTerminationCode);

#endif
