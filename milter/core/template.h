#ifndef MILTER_TEMPLATE_H
#define MILTER_TEMPLATE_H

/*++
/* NAME
/*	template 3h
/* SUMMARY
/*	mail templates with {{variable}} fields
/* SYNOPSIS
/*	#include <milter/core/template.h>
/*
/*	extern const char *const template_variables[];
/*
/*	int	template_check(const char *text, TM_ERROR *err)
/*
/*	int	template_check_names(const char *text,
/*				     const char *const *names, TM_ERROR *err)
/*
/*	char	*template_render(const char *text, GHashTable *values,
/*				 int html)
/* DESCRIPTION
/*	A template is text in which {{name}} stands for a value; white
/*	space inside the braces is allowed. template_variables lists the
/*	names there are (ticket_number, ticket_subject, ticket_tag,
/*	customer_name, customer_address, queue_name, queue_address,
/*	reply_address, date, event, customer_text, attachments).
/*
/*	template_check() refuses a template with an unknown name or
/*	unbalanced braces, naming the line and the name.
/*	template_check_names() does the same with another null-terminated
/*	list of names (canned answers have their own fields).
/*
/*	template_render() replaces each field by its value from values
/*	(name -> UTF-8 text; a missing value renders empty); with html,
/*	values are escaped for HTML. g_free the result.
/* DIAGNOSTICS
/*	template_check() returns -1 with "line N: ..." in err.
/*--*/

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

extern const char *const template_variables[];
extern int template_check(const char *, TM_ERROR *);
extern int template_check_names(const char *, const char *const *, TM_ERROR *);
extern char *template_render(const char *, GHashTable *, int);

#endif
