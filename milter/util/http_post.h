#ifndef MILTER_HTTP_POST_H
#define MILTER_HTTP_POST_H

/*++
/* NAME
/*	http_post 3h
/* SUMMARY
/*	POST a body to an http(s) URL (libcurl)
/* SYNOPSIS
/*	#include <milter/util/http_post.h>
/*
/*	int	http_post(const char *url, const char *const *headers,
/*			  const char *body, size_t len, int timeout,
/*			  long *status, TM_ERROR *err)
/* DESCRIPTION
/*	http_post() sends body (len bytes) to url with the given extra
/*	header lines ("Name: value", a null-terminated list) and waits at
/*	most timeout seconds for the whole exchange (the connection at
/*	most 10 of them). Only http and https URLs are tried; a redirect
/*	is not followed (its 3xx is the answer); the answer's body is read
/*	and thrown away past HTTP_POST_BODY_MAX bytes, so a receiver
/*	cannot make the sender hold more. *status is the HTTP status, or
/*	0 when there was no answer. curl_global_init() must have been
/*	called once before threads start.
/* DIAGNOSTICS
/*	0: an answer came, whatever its status; -1 with libcurl's reason
/*	in err: no answer (refused, timed out, TLS failed, not http(s)).
/*--*/

/* System library. */
#include <stddef.h>

/* Utility library. */
#include <milter/util/log.h>

#define HTTP_POST_BODY_MAX	(64 * 1024)

extern int http_post(const char *, const char *const *, const char *, size_t, int, long *,
		             TM_ERROR *);

#endif
