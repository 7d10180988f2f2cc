#ifndef MILTER_APIKEY_H
#define MILTER_APIKEY_H

/*++
/* NAME
/*	apikey 3h
/* SUMMARY
/*	ticket-api keys: a random token, and the hash that is kept of it
/* SYNOPSIS
/*	#include <milter/core/apikey.h>
/*
/*	int	apikey_token_new(char token[APIKEY_TOKEN_SIZE])
/*
/*	int	apikey_token_hash(const char *token, size_t len,
/*				  char hex[SHA256_HEX_SIZE])
/* DESCRIPTION
/*	A key's token is "tm_" and 64 hex digits: 32 random bytes from
/*	getrandom(). The database keeps only its SHA-256 (table api_keys,
/*	sql/031_api_keys.sql): a token is not a password a person chose,
/*	so a plain hash of it cannot be guessed back, and ticket-api
/*	looks a key up by the hash of what a client sent.
/*
/*	apikey_token_new() writes a new token and a NUL.
/*
/*	apikey_token_hash() writes the hash of the len bytes of token, in
/*	hex; it refuses what is not shaped like a token (wrong length,
/*	prefix or digit), so that nothing else reaches the database.
/* DIAGNOSTICS
/*	-1: no random bytes (apikey_token_new()), or not a token.
/*--*/

/* System library. */
#include <stddef.h>

/* Parser library. */
#include <parser/util/sha256.h>

#define APIKEY_PREFIX		"tm_"
#define APIKEY_TOKEN_LEN	(3 + 64)
#define APIKEY_TOKEN_SIZE	(APIKEY_TOKEN_LEN + 1)

extern int apikey_token_new(char[APIKEY_TOKEN_SIZE]);
extern int apikey_token_hash(const char *, size_t, char[SHA256_HEX_SIZE]);

#endif
