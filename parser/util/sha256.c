/*++
/* NAME
/*	sha256 3
/* SUMMARY
/*	SHA-256 in lower-case hex, by OpenSSL
/* DESCRIPTION
/*	See sha256.h. OpenSSL cannot fail here but for lack of memory,
/*	which ends the program, as g_malloc() does.
/*--*/

/* External libraries. */
#include <glib.h>
#include <openssl/evp.h>

/* Parser library. */
#include <parser/util/sha256.h>

struct SHA256_SUM {
    EVP_MD_CTX *ctx;
};

/* sha256_new - start a sum */

SHA256_SUM *sha256_new(void)
{
    SHA256_SUM *sum = g_new(SHA256_SUM, 1);

    if ((sum->ctx = EVP_MD_CTX_new()) == NULL
	|| EVP_DigestInit_ex(sum->ctx, EVP_sha256(), NULL) != 1)
	g_error("sha256: out of memory");
    return (sum);
}

/* sha256_update - add bytes */

void    sha256_update(SHA256_SUM *sum, const void *data, size_t len)
{
    EVP_DigestUpdate(sum->ctx, data, len);
}

/* sha256_finish - the hex digits; sum is freed */

void    sha256_finish(SHA256_SUM *sum, char hex[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_DigestFinal_ex(sum->ctx, md, &len);
    for (unsigned int i = 0; i < len && 2 * i + 2 < SHA256_HEX_SIZE; i++) {
	hex[2 * i] = digits[md[i] >> 4];
	hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[SHA256_HEX_SIZE - 1] = 0;
    EVP_MD_CTX_free(sum->ctx);
    g_free(sum);
}
