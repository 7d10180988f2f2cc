#ifndef MILTER_MSGBUF_H
#define MILTER_MSGBUF_H

/*++
/* NAME
/*	msgbuf 3h
/* SUMMARY
/*	the bytes of one message, in memory up to a bound, then on disk
/* SYNOPSIS
/*	#include <milter/util/msgbuf.h>
/*
/*	MSGBUF	*msgbuf_create(size_t memory_limit, const char *temp_dir)
/*
/*	int	msgbuf_append(MSGBUF *buf, const void *data, size_t len,
/*			      TM_ERROR *err)
/*
/*	size_t	msgbuf_size(const MSGBUF *buf)
/*
/*	const char *msgbuf_map(MSGBUF *buf, TM_ERROR *err)
/*
/*	void	msgbuf_free(MSGBUF *buf)
/* DESCRIPTION
/*	msgbuf_append() keeps the first memory_limit bytes in memory; past
/*	that the whole message moves to an unlinked temporary file in
/*	temp_dir, so that a large message costs disk, not memory.
/*
/*	msgbuf_map() returns all bytes as one contiguous read-only block
/*	(a memory map of the file when there is one), valid until
/*	msgbuf_free().
/* DIAGNOSTICS
/*	msgbuf_append() and msgbuf_map() fail with the reason in err when
/*	the temporary file cannot be made, written (disk full) or mapped.
/*--*/

/* System library. */
#include <stddef.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct MSGBUF MSGBUF;

extern MSGBUF *msgbuf_create(size_t, const char *);
extern int msgbuf_append(MSGBUF *, const void *, size_t, TM_ERROR *);
extern size_t msgbuf_size(const MSGBUF *);
extern const char *msgbuf_map(MSGBUF *, TM_ERROR *);
extern void msgbuf_free(MSGBUF *);

#endif
