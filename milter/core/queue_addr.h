#ifndef MILTER_QUEUE_ADDR_H
#define MILTER_QUEUE_ADDR_H

/*++
/* NAME
/*	queue_addr 3h
/* SUMMARY
/*	support addresses: normal form and reply-address extensions
/* SYNOPSIS
/*	#include <milter/core/queue_addr.h>
/*
/*	char	*queue_addr_normalize(const char *address)
/*
/*	char	*queue_addr_base(const char *address, const char *delimiters,
/*				 char **extension)
/* DESCRIPTION
/*	queue_addr_normalize() strips SMTP angle brackets and lower-cases
/*	an address, so that addresses compare case-insensitively as the
/*	schema stores them. It returns NULL for something that is not
/*	local@domain (g_free the result).
/*
/*	queue_addr_base() normalizes and removes an extension introduced
/*	by one of the delimiter characters (queue+TOKEN@domain gives
/*	queue@domain), storing the extension in *extension when not NULL
/*	(NULL when there is none).
/*--*/

extern char *queue_addr_normalize(const char *);
extern char *queue_addr_base(const char *, const char *, char **);

#endif
