#ifndef MILTER_COMPOSE_H
#define MILTER_COMPOSE_H

/*++
/* NAME
/*	compose 3h
/* SUMMARY
/*	build an outgoing mail (confirmation, notification) with gmime
/* SYNOPSIS
/*	#include <milter/compose.h>
/*
/*	char	*compose_mail(const char *mail_json, const char *tag_format,
/*			      char **envelope_from, size_t *len,
/*			      TM_ERROR *err)
/*
/*	char	*compose_tag(const char *tag_format, const char *number)
/*
/*	const char *compose_member(JsonObject *obj, const char *name)
/* DESCRIPTION
/*	compose_mail() takes what the SQL function outbox_mail() returns
/*	and renders its template into a complete RFC 5322 message with
/*	CRLF line ends, ready for SMTP: text/plain, or
/*	multipart/alternative when the template has HTML.
/*
/*	A confirmation comes From the queue address with the queue's
/*	name, a notification from "Customer via Queue" at the ticket's
/*	reply address; both have Reply-To the reply address, the ticket
/*	tag (tag_format, NUMBER replaced) in the Subject, In-Reply-To and
/*	References of the message they answer with their own Message-ID
/*	listed in References too (so replies thread even when a relay
/*	rewrites Message-ID), and the RFC 3834 marks: Auto-Submitted,
/*	X-Auto-Response-Suppress: All, and X-Loop with the queue address,
/*	by which the daemon knows its own mail if it comes back.
/*
/*	*envelope_from receives the queue address (bounces come back to
/*	the help desk, which notes addresses that bounce).
/*
/*	compose_tag() is the ticket tag: tag_format with NUMBER replaced
/*	(g_free it). compose_member() reads a string member of the
/*	database's JSON answer, "" when absent or null.
/* DIAGNOSTICS
/*	NULL with the reason in err: the JSON lacks what it needs, or
/*	no template was found for the mail (the reason says how to add
/*	one and send the mail again).
/*--*/

#include <stddef.h>
#include <json-glib/json-glib.h>
#include <milter/log.h>

extern char *compose_mail(const char *, const char *, char **, size_t *, TM_ERROR *);
extern char *compose_tag(const char *, const char *);
extern const char *compose_member(JsonObject *, const char *);

#endif
