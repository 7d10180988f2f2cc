#ifndef PARSER_COMMANDS_H
#define PARSER_COMMANDS_H

/*++
/* NAME
/*	commands 3h
/* SUMMARY
/*	an agent's commands at the top of a reply
/* SYNOPSIS
/*	#include <parser/commands.h>
/*
/*	MAIL_COMMANDS *mail_commands(const char *text)
/*
/*	void	mail_commands_free(MAIL_COMMANDS *commands)
/* DESCRIPTION
/*	An agent steers a ticket with lines that start with "#" at the
/*	top of an answer, before any other text (blank lines between them
/*	are allowed):
/*
/*	#note (an internal note, not sent to the customer), #close,
/*	#pending, #solved, #take (assign it to oneself) and
/*	#assign ADDRESS.
/*
/*	mail_commands() reads them from the reply text (the answer without
/*	its quoted history). It returns NULL when the text does not start
/*	with such a line. Otherwise each command line gives one
/*	MAIL_COMMAND (name lower case; argument "" when none), or one
/*	error: a line that is not a command, or a command with an argument
/*	it does not take or without one it needs. body_start is where the
/*	rest of the text begins, in characters (not bytes) from its start.
/*	Whether an #assign names an agent of the queue is for the
/*	database to decide.
/*--*/

#include <glib.h>

typedef struct MAIL_COMMAND {
    char   *name;			/* note, close, pending, solved, take, assign */
    char   *argument;			/* "" when none */
} MAIL_COMMAND;

typedef struct MAIL_COMMANDS {
    GPtrArray *list;			/* MAIL_COMMAND *, in order */
    GPtrArray *errors;			/* char *: the line, and why it is not one */
    long    body_start;			/* characters before the rest of the text */
} MAIL_COMMANDS;

extern MAIL_COMMANDS *mail_commands(const char *);
extern void mail_commands_free(MAIL_COMMANDS *);

#endif
