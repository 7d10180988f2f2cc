#ifndef MILTER_LOG_H
#define MILTER_LOG_H

/*++
/* NAME
/*	log 3h
/* SUMMARY
/*	the one way to log and to report an error
/* SYNOPSIS
/*	#include <milter/util/log.h>
/*
/*	void	log_init(const char *ident, int to_stderr, int facility)
/*	void	log_set_verbose(int verbose)
/*
/*	void	log_copy_to_stderr(int on)
/*
/*	void	msg_info(const char *fmt, ...)
/*	void	msg_warn(const char *fmt, ...)
/*	void	msg_error(const char *fmt, ...)
/*	void	msg_debug(const char *fmt, ...)
/*	void	msg_fatal(const char *fmt, ...)
/*
/*	int	tm_error(TM_ERROR *err, const char *fmt, ...)
/* DESCRIPTION
/*	Messages go to syslog, or to stderr (with the program name) when
/*	log_init() was told so or before it is called. Safe from any
/*	thread. log_copy_to_stderr() has warnings, errors and fatal
/*	errors written to stderr as well as to syslog (a daemon, until it
/*	detaches: whoever started it sees why it did not start, also
/*	where no syslog daemon runs). msg_debug() prints only when verbose. msg_fatal() logs and
/*	exits with status 1. Every message is one line: a CR, LF or other
/*	control character inside it (a value a client chose) is written
/*	as \r, \n or \xNN, a trailing newline is dropped, and a message
/*	is cut at 2 KiB.
/*
/*	TM_ERROR carries the text of a failure from the layer that saw it
/*	to the layer that turns it into an SMTP reply or a log line.
/*	tm_error() fills it (err may be null) and returns -1, so that
/*	`return tm_error(err, "...")` reads as what it does.
/*--*/

/* System library. */
#include <stdarg.h>

typedef struct TM_ERROR {
    char    text[512];
    char    code[8];			/* a database SQLSTATE, when one said why */
} TM_ERROR;

#define TM_PRINTF(a, b) __attribute__((format(printf, a, b)))

extern void log_init(const char *, int, int);
extern void log_set_verbose(int);
extern void log_copy_to_stderr(int);
extern void msg_info(const char *,...) TM_PRINTF(1, 2);
extern void msg_warn(const char *,...) TM_PRINTF(1, 2);
extern void msg_error(const char *,...) TM_PRINTF(1, 2);
extern void msg_debug(const char *,...) TM_PRINTF(1, 2);
extern void msg_fatal(const char *,...) TM_PRINTF(1, 2) __attribute__((noreturn));
extern int tm_error(TM_ERROR *, const char *,...) TM_PRINTF(2, 3);

#endif
