/*++
/* NAME
/*	log 3
/* SUMMARY
/*	the one way to log and to report an error
/* DESCRIPTION
/*	See log.h.
/*--*/

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Utility library. */
#include <milter/util/log.h>

static const char *log_ident = "ticket-milter";
static int log_to_stderr = 1;
static int log_copy_stderr = 0;		/* syslog, and warnings on stderr too */
static int log_verbose = 0;

/* log_init - choose the destination of all later messages */

void    log_init(const char *ident, int to_stderr, int facility)
{
    log_ident = ident;
    log_to_stderr = to_stderr;
    if (!to_stderr)
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* log_copy_to_stderr - while logging to syslog, warnings to stderr too */

void    log_copy_to_stderr(int on)
{
    log_copy_stderr = on;
}

/* log_set_verbose - turn debug messages on or off */

void    log_set_verbose(int verbose)
{
    log_verbose = verbose;
}

/* log_escape - one line: control characters shown as \r, \n, \xNN */

static void log_escape(const char *in, char *out, size_t size)
{
    size_t  len = strlen(in), o = 0;

    /* libpq's messages end with a newline: no empty line, no "\n". */
    while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
	len--;
    for (size_t i = 0; i < len && o + 5 < size; i++) {
	unsigned char c = (unsigned char) in[i];

	if (c == '\n' || c == '\r') {
	    out[o++] = '\\';
	    out[o++] = c == '\n' ? 'n' : 'r';
	} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
	    o += (size_t) snprintf(out + o, size - o, "\\x%02x", c);
	} else {
	    out[o++] = (char) c;
	}
    }
    out[o] = 0;
}

/* log_vprint - write one message at a syslog priority, as one line */

static void log_vprint(int priority, const char *label, const char *fmt, va_list ap)
{
    char    text[2048], line[2048];

    /* A value from a client must not start a line of its own. */
    vsnprintf(text, sizeof(text), fmt, ap);
    log_escape(text, line, sizeof(line));
    if (log_to_stderr || (log_copy_stderr && priority <= LOG_WARNING))
	fprintf(stderr, "%s: %s%s\n", log_ident, label, line);
    if (!log_to_stderr)
	syslog(priority, "%s", line);
}

#define LOG_FUNCTION(name, priority, label) \
    void name(const char *fmt, ...) \
    { \
	va_list ap; \
	va_start(ap, fmt); \
	log_vprint(priority, label, fmt, ap); \
	va_end(ap); \
    }

/* msg_info, msg_warn, msg_error - log at that level */

LOG_FUNCTION(msg_info, LOG_INFO, "")
LOG_FUNCTION(msg_warn, LOG_WARNING, "warning: ")
LOG_FUNCTION(msg_error, LOG_ERR, "error: ")

/* msg_debug - log only when verbose */

void    msg_debug(const char *fmt,...)
{
    va_list ap;

    if (!log_verbose)
	return;
    va_start(ap, fmt);
    log_vprint(LOG_DEBUG, "debug: ", fmt, ap);
    va_end(ap);
}

/* msg_fatal - log and exit */

void    msg_fatal(const char *fmt,...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vprint(LOG_CRIT, "fatal: ", fmt, ap);
    va_end(ap);
    exit(1);
}

/* tm_error - record a failure's text and return -1 */

int     tm_error(TM_ERROR *err, const char *fmt,...)
{
    va_list ap;

    if (err != NULL) {
	err->code[0] = 0;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
    }
    return (-1);
}
