#ifndef MILTER_ADDR_CHECK_H
#define MILTER_ADDR_CHECK_H

/*++
/* NAME
/*	addr_check 3h
/* SUMMARY
/*	the one definition of an address safe to hand on
/* SYNOPSIS
/*	#include <milter/util/addr_check.h>
/*
/*	const char *addr_unsafe(const char *addr)
/*
/*	char	*addr_escape(const char *value)
/* DESCRIPTION
/*	An address that came from a customer's message (gmime keeps raw
/*	CR LF inside a quoted local part) must not reach an SMTP command,
/*	smfi_addrcpt(), a header field or a log line as it is: CR LF there
/*	is a command or header of the attacker's. Every such address is
/*	checked here, once, where it leaves for one of these.
/*
/*	addr_unsafe() returns NULL when addr is safe: not empty, at most
/*	ADDR_MAX_LEN bytes, valid UTF-8 (SMTPUTF8 addresses are fine) with
/*	no control character (C0, DEL, C1), no white space and no angle
/*	bracket (the address is framed by "<" and ">" on the way). Else
/*	it returns why, a static text such as "a control character".
/*
/*	addr_escape() returns a newly allocated copy of value (may be
/*	null: "(null)") fit for one log line: a backslash, control
/*	characters and bytes that are not UTF-8 become \\, \r, \n, \t or
/*	\xNN. The caller frees it with g_free().
/*--*/

#define ADDR_MAX_LEN	256		/* RFC 5321 4.5.3.1.3: a path, brackets
					 * included, is at most 256 octets */

extern const char *addr_unsafe(const char *);
extern char *addr_escape(const char *);

#endif
