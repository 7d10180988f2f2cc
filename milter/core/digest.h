#ifndef MILTER_DIGEST_H
#define MILTER_DIGEST_H

/*++
/* NAME
/*	digest 3h
/* SUMMARY
/*	a message's content digest, the same for every delivery of it
/* SYNOPSIS
/*	#include <milter/core/digest.h>
/*
/*	char	*message_digest(const char *raw, size_t len)
/* DESCRIPTION
/*	message_digest() returns the lower-case hex SHA-256 of a message
/*	without the trace header fields that differ between two deliveries
/*	of the same mail (Received, Return-Path, Delivered-To,
/*	X-Original-To, Authentication-Results, ARC-*, Received-SPF, ...) and
/*	the verdicts of content filters that each MX adds its own way
/*	(X-Spam-*, X-Virus-*, X-Amavis-*, ...),
/*	and with line ends counted as LF, so that a retry, a second MX or a
/*	second support address give the same digest while two different
/*	mails with one Message-ID do not. g_free the result.
/*--*/

/* System library. */
#include <stddef.h>

extern char *message_digest(const char *, size_t);

#endif
