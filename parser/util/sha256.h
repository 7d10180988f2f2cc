#ifndef PARSER_UTIL_SHA256_H
#define PARSER_UTIL_SHA256_H

/*++
/* NAME
/*	sha256 3h
/* SUMMARY
/*	SHA-256 in lower-case hex, by OpenSSL
/* SYNOPSIS
/*	#include <parser/util/sha256.h>
/*
/*	SHA256_SUM *sha256_new(void)
/*	void	sha256_update(SHA256_SUM *sum, const void *data, size_t len)
/*	void	sha256_finish(SHA256_SUM *sum, char hex[SHA256_HEX_SIZE])
/* DESCRIPTION
/*	Attachments and whole messages are hashed as they are stored.
/*	OpenSSL's SHA-256 uses the CPU's SHA instructions where there are
/*	any: several times faster than GLib's GChecksum, which matters for
/*	messages of megabytes.
/*
/*	sha256_new() starts a sum, sha256_update() adds bytes, and
/*	sha256_finish() writes the 64 hex digits and a NUL, and frees sum.
/*--*/

/* System library. */
#include <stddef.h>

#define SHA256_HEX_SIZE	65

typedef struct SHA256_SUM SHA256_SUM;

extern SHA256_SUM *sha256_new(void);
extern void sha256_update(SHA256_SUM *, const void *, size_t);
extern void sha256_finish(SHA256_SUM *, char[SHA256_HEX_SIZE]);

#endif
