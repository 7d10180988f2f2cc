/*++
/* NAME
/*	api_key 3
/* SUMMARY
/*	ticket-api: who is asking, and how often
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_key_check(API_REQUEST *req)
/*
/*	void	api_key_free(API_KEY *key)
/* DESCRIPTION
/*	api_key_check() reads "Authorization: Bearer TOKEN", looks the
/*	token's SHA-256 up among the keys not revoked (the default
/*	region's api_keys, ticketctl apikey) and fills req->key. Then it
/*	counts the request against the key's ApiRequestsPerMinute, in a
/*	window of one minute (a fixed window: simple, and at most twice
/*	the rate across a window's edge).
/*
/*	api_key_free() releases what a key holds.
/* DIAGNOSTICS
/*	-1 with the reply set: 401 without a key or with one that is
/*	unknown or revoked (the same answer, so that a guess learns
/*	nothing), 429 with Retry-After past the rate, 503 while the
/*	default region's database is down.
/*--*/

/* System library. */
#include <string.h>
#include <time.h>

/* Global library. */
#include <milter/core/apikey.h>

/* Application-specific. */
#include <api/api.h>

/* Requests one key made in the current minute. */
typedef struct API_RATE {
    time_t  window;			/* the minute's start */
    int     count;
} API_RATE;

/* api_key_lookup - the key of a token hash; 1 found, 0 not, -1 reply set */

static int api_key_lookup(API_REQUEST *req, const char *hash)
{
    const char *params[1] = {hash};
    PGresult *res;
    int     found;

    if (api_db_query(req, 0, "SELECT name, scope = 'write', CASE WHEN all_queues THEN NULL"
		     " ELSE queues::text END FROM api_keys"
		     " WHERE token_sha256 = $1 AND revoked_at IS NULL", 1, params, &res) < 0)
	return (-1);
    if ((found = PQntuples(res) == 1) != 0) {
	req->key.name = g_strdup(PQgetvalue(res, 0, 0));
	req->key.write = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	req->key.queues = PQgetisnull(res, 0, 2) ? NULL : g_strdup(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return (found);
}

/* api_rate_take - count one request of the key; the seconds to wait, or 0 */

static int api_rate_take(API *api, const char *name)
{
    time_t  now = time(NULL), window = now - now % 60;
    API_RATE *rate;
    int     wait = 0;

    pthread_mutex_lock(&api->rate_lock);
    if ((rate = g_hash_table_lookup(api->rates, name)) == NULL) {
	rate = g_new0(API_RATE, 1);
	g_hash_table_insert(api->rates, g_strdup(name), rate);
    }
    if (rate->window != window) {
	rate->window = window;
	rate->count = 0;
    }
    if (rate->count >= api->config->api_requests_per_minute)
	wait = (int) (window + 60 - now);
    else
	rate->count++;
    pthread_mutex_unlock(&api->rate_lock);
    return (wait);
}

/* api_key_check - authenticate and count the request; -1 with the reply set */

int     api_key_check(API_REQUEST *req)
{
    const char *auth = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_AUTHORIZATION);
    char    hash[SHA256_HEX_SIZE];
    const char *token;
    int     found, wait;

    if (auth == NULL)
	return (api_problem(req, 401, "this request needs a key: \"Authorization: Bearer TOKEN\""
			    " (ticketctl apikey add)"));
    if (g_ascii_strncasecmp(auth, "Bearer ", 7) != 0)
	return (api_problem(req, 401, "only \"Authorization: Bearer TOKEN\" is accepted"));
    token = auth + 7 + strspn(auth + 7, " ");
    if (apikey_token_hash(token, strlen(token), hash) < 0
	|| (found = api_key_lookup(req, hash)) == 0)
	return (api_problem(req, 401, "the key is unknown or revoked"));
    if (found < 0)
	return (-1);
    if ((wait = api_rate_take(req->api, req->key.name)) > 0) {
	req->retry_after = wait;
	return (api_problem(req, 429, "this key made more than %d requests this minute"
			    " (ApiRequestsPerMinute); try again in %d seconds",
			    req->api->config->api_requests_per_minute, wait));
    }
    return (0);
}

/* api_key_free - release a key's strings */

void    api_key_free(API_KEY *key)
{
    g_free(key->name);
    g_free(key->queues);
    key->name = key->queues = NULL;
}
