/*++
/* NAME
/*	lines 3
/* SUMMARY
/*	split text into lines
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	**text_lines(const char *text)
/* DESCRIPTION
/*	text_lines() returns the lines of text, split at each "\n", as
/*	g_strsplit(text, "\n", -1) does (free with g_strfreev()): the empty
/*	string gives no lines. It finds each line end with strchr(), which
/*	reads only up to the end found; g_strsplit() uses strstr(), which
/*	the sanitizers check against the whole rest of the text at every
/*	call, so that a long body took seconds (a 1.6 MB one, 12 s) in the
/*	tests' build.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* text_lines - the lines of text, as a NULL-terminated vector */

char  **text_lines(const char *text)
{
    GPtrArray *lines = g_ptr_array_new();
    const char *p = text;
    const char *nl;

    while (p && *p) {
	if ((nl = strchr(p, '\n')) == NULL) {
	    g_ptr_array_add(lines, g_strdup(p));
	    break;
	}
	g_ptr_array_add(lines, g_strndup(p, nl - p));
	p = nl + 1;
	/* A final "\n" ends in an empty line, as g_strsplit() has it. */
	if (*p == 0)
	    g_ptr_array_add(lines, g_strdup(""));
    }
    g_ptr_array_add(lines, NULL);
    return ((char **) g_ptr_array_free(lines, FALSE));
}
