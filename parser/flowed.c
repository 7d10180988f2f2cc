/*++
/* NAME
/*	flowed 3
/* SUMMARY
/*	join format=flowed text (RFC 3676)
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*flowed_join(const char *text, int delsp)
/* DESCRIPTION
/*	flowed_join() returns text with soft line breaks removed: a line
/*	that ends in a space continues on the next line of the same quote
/*	depth. Space-stuffing is undone; with delsp (DelSp=yes) the space
/*	before a soft break is deleted. The signature separator "-- " is
/*	never a soft break. Quoted lines come out as "> " per level.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* flowed_join - undo soft line breaks */

char   *flowed_join(const char *text, int delsp)
{
    GString *out = g_string_sized_new(strlen(text));
    char  **lines = text_lines(text);
    int     open_depth = -1;		/* depth of a paragraph being joined */

    for (char **lp = lines; *lp; lp++) {
	char   *line = *lp;
	size_t  len = strlen(line);
	int     depth = 0;
	int     soft;

	if (len > 0 && line[len - 1] == '\r')
	    line[--len] = 0;
	while (line[depth] == '>')
	    depth++;
	line += depth;
	len -= depth;
	if (*line == ' ') {			/* space-stuffed */
	    line++;
	    len--;
	}
	soft = len > 0 && line[len - 1] == ' ' && strcmp(line, "-- ") != 0;
	if (open_depth >= 0 && open_depth != depth)
	    g_string_append_c(out, '\n');	/* a broken flow ends here */
	if (open_depth != depth) {
	    for (int i = 0; i < depth; i++)
		g_string_append_c(out, '>');
	    if (depth > 0)
		g_string_append_c(out, ' ');
	}
	if (soft && delsp)
	    len--;
	g_string_append_len(out, line, len);
	if (soft) {
	    open_depth = depth;
	} else {
	    open_depth = -1;
	    if (lp[1] != NULL)
		g_string_append_c(out, '\n');
	}
    }
    g_strfreev(lines);
    return (g_string_free(out, FALSE));
}
