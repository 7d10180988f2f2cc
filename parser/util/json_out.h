#ifndef PARSER_UTIL_JSON_OUT_H
#define PARSER_UTIL_JSON_OUT_H

/*++
/* NAME
/*	json_out 3h
/* SUMMARY
/*	write a compact JSON text straight into a string
/* SYNOPSIS
/*	#include <parser/util/json_out.h>
/*
/*	JSON_OUT *json_out_new(void)
/*	JSON_OUT *json_out_new_pretty(void)
/*	char	*json_out_finish(JSON_OUT *out)
/*
/*	void	json_out_open(JSON_OUT *out, const char *key, char bracket)
/*	void	json_out_close(JSON_OUT *out, char bracket)
/*	void	json_out_string(JSON_OUT *out, const char *key, const char *value)
/*	void	json_out_int(JSON_OUT *out, const char *key, long long value)
/*	void	json_out_bool(JSON_OUT *out, const char *key, int value)
/*	void	json_out_text(JSON_OUT *out, const char *key, const char *json)
/* DESCRIPTION
/*	The description of every support message the daemon stores is a
/*	JSON object of about the message's size. json-glib builds a node
/*	tree and escapes one character at a time, which took a tenth of
/*	the daemon's CPU per message; this writer appends to one GString.
/*	It is the one writer of a message's description: ticket-parse's
/*	document and the database's (mail_json.c), and the daemon's
/*	authentication results. Values are written in the order called;
/*	key is the member name inside an object, NULL inside an array or
/*	at the top.
/*
/*	json_out_new() writes compact text; json_out_new_pretty() puts
/*	each member on its own line, indented by two spaces a level, for
/*	a person to read.
/*
/*	json_out_open() and json_out_close() start and end an object
/*	('{', '}') or an array ('[', ']'). json_out_string() writes a
/*	string, null when value is NULL; bytes that are not UTF-8 are
/*	replaced as g_utf8_make_valid() does. json_out_text() inserts
/*	json, a JSON text the daemon made itself, as the value; null when
/*	json is NULL. json_out_finish() returns the text (g_free it) and
/*	frees out.
/*--*/

typedef struct JSON_OUT JSON_OUT;

extern JSON_OUT *json_out_new(void);
extern JSON_OUT *json_out_new_pretty(void);
extern char *json_out_finish(JSON_OUT *);
extern void json_out_open(JSON_OUT *, const char *, char);
extern void json_out_close(JSON_OUT *, char);
extern void json_out_string(JSON_OUT *, const char *, const char *);
extern void json_out_int(JSON_OUT *, const char *, long long);
extern void json_out_bool(JSON_OUT *, const char *, int);
extern void json_out_text(JSON_OUT *, const char *, const char *);

#endif
