/*++
/* NAME
/*	apikey 3
/* SUMMARY
/*	ticket-api keys: a random token, and the hash that is kept of it
/* DESCRIPTION
/*	See apikey.h.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* Global library. */
#include <milter/core/apikey.h>

/* apikey_token_new - "tm_" and 32 random bytes in hex */

int     apikey_token_new(char token[APIKEY_TOKEN_SIZE])
{
    unsigned char bytes[32];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes))
	return (-1);
    strcpy(token, APIKEY_PREFIX);
    for (size_t i = 0; i < sizeof(bytes); i++)
	snprintf(token + 3 + 2 * i, 3, "%02x", bytes[i]);
    return (0);
}

/* apikey_token_hash - the SHA-256 of a token, or -1 for what is none */

int     apikey_token_hash(const char *token, size_t len, char hex[SHA256_HEX_SIZE])
{
    SHA256_SUM *sum;

    if (len != APIKEY_TOKEN_LEN || strncmp(token, APIKEY_PREFIX, 3) != 0
	|| strspn(token + 3, "0123456789abcdef") != 64)
	return (-1);
    sum = sha256_new();
    sha256_update(sum, token, len);
    sha256_finish(sum, hex);
    return (0);
}
