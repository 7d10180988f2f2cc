/*++
/* NAME
/*	ctl_apikey 3
/* SUMMARY
/*	ticketctl apikey: the keys of ticket-api
/* SYNOPSIS
/*	ticketctl apikey add NAME (--queue ADDRESS... | --all) --scope read|write
/*
/*	ticketctl apikey list [--json]
/*
/*	ticketctl apikey revoke NAME
/* DESCRIPTION
/*	add makes a key for ticket-api(8) and prints its token, once: the
/*	database keeps only the token's SHA-256 (apikey(3)). The key sees
/*	the tickets of the queues named by --queue (repeatable), of any
/*	region, or with --all of every queue; --scope write lets it change
/*	tickets too. list prints the keys (never a token), revoke stops
/*	one at once; a revoked key keeps its name.
/*
/*	Keys live in the default region's database (ctl_region.c sends the
/*	command there): the API has one place to look a token up, and a
/*	key may name queues of several regions.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/apikey.h>
#include <milter/core/queue_addr.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define APIKEY_USAGE "apikey add NAME (--queue ADDRESS... | --all) --scope read|write\n" \
		     "       ticketctl apikey list [--json]\n" \
		     "       ticketctl apikey revoke NAME"

/* apikey_queues - the --queue values as a PostgreSQL array literal, or NULL
 * after saying which one is no address or no region's queue */

static char *apikey_queues(int *argc, char **argv)
{
    GString *array = g_string_new("{");
    const char *value;
    char   *address;
    int     known;

    while ((value = ctl_option(argc, argv, "--queue")) != NULL) {
	if ((address = queue_addr_normalize(value)) == NULL || strpbrk(address, "{},\"\\")) {
	    g_free(address);
	    g_string_free(array, TRUE);
	    ctl_fail("\"%s\" is not a queue address", value);
	    return (NULL);
	}
	if ((known = ctl_queue_known(address)) <= 0) {
	    if (known == 0)
		ctl_fail("there is no queue %s (see ticketctl queue list)", address);
	    g_free(address);
	    g_string_free(array, TRUE);
	    return (NULL);
	}
	g_string_append_printf(array, "%s\"%s\"", array->len > 1 ? "," : "", address);
	g_free(address);
    }
    g_string_append_c(array, '}');
    return (g_string_free(array, FALSE));
}

/* apikey_add - make a key; print its token once */

static int apikey_add(PGconn *conn, int argc, char **argv)
{
    int     all = ctl_flag(&argc, argv, "--all");
    const char *scope = ctl_option(&argc, argv, "--scope");
    char   *queues = apikey_queues(&argc, argv);
    char    token[APIKEY_TOKEN_SIZE], hash[SHA256_HEX_SIZE];
    PGresult *res;
    int     status;

    if (queues == NULL)
	return (1);
    if (argc != 3 || scope == NULL || all == (strcmp(queues, "{}") != 0)) {
	g_free(queues);
	return (ctl_usage("apikey add NAME (--queue ADDRESS... | --all) --scope read|write"));
    }
    if (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0)
	status = ctl_fail("unknown scope \"%s\": use read or write", scope);
    else if (apikey_token_new(token) < 0 || apikey_token_hash(token, strlen(token), hash) < 0)
	status = ctl_fail("no random bytes for a token");
    else
	status = -1;
    if (status >= 0) {
	g_free(queues);
	return (status);
    }
    const char *params[5] = {argv[2], hash, scope, all ? "true" : "false", queues};

    res = ctl_query(conn, "INSERT INTO api_keys (name, token_sha256, scope, all_queues, queues)"
		    " SELECT $1, $2, $3, $4::boolean, $5::text[]"
		    " WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE name = $1) RETURNING name", 5, params);
    status = PQntuples(res) == 1 ? 0 : ctl_fail("there is already a key %s (see ticketctl apikey list)", argv[2]);
    PQclear(res);
    g_free(queues);
    if (status == 0) {
	/* The only time the token is shown: the database cannot say it again. */
	printf("%s\n", token);
	fprintf(stderr, "key %s: keep this token now; only its hash is stored\n", argv[2]);
    }
    return (status);
}

/* apikey_list - the keys, never a token */

static int apikey_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("apikey list [--json]"));
    res = ctl_query(conn, "SELECT coalesce(json_agg(json_build_object('name', name, 'scope', scope,"
		    "  'queues', CASE WHEN all_queues THEN NULL ELSE queues END, 'all', all_queues,"
		    "  'created_at', created_at, 'revoked_at', revoked_at) ORDER BY name), '[]'),"
		    " string_agg(format('%-20s %-5s %-8s %s', name, scope,"
		    "  CASE WHEN revoked_at IS NULL THEN 'active' ELSE 'revoked' END,"
		    "  CASE WHEN all_queues THEN '(all queues)' ELSE array_to_string(queues, ' ') END),"
		    "  E'\\n' ORDER BY name) FROM api_keys", 0, NULL);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no keys");
    PQclear(res);
    return (0);
}

/* apikey_revoke - a key stops working at once */

static int apikey_revoke(PGconn *conn, int argc, char **argv)
{
    PGresult *res;
    int     status;

    if (argc != 3)
	return (ctl_usage("apikey revoke NAME"));
    const char *params[1] = {argv[2]};

    res = ctl_query(conn, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
		    " WHERE name = $1 RETURNING name", 1, params);
    status = PQntuples(res) == 1 ? 0 : ctl_fail("no key %s (see ticketctl apikey list)", argv[2]);
    PQclear(res);
    if (status == 0)
	printf("key %s revoked\n", argv[2]);
    return (status);
}

const char ctl_apikey_usage[] = APIKEY_USAGE;

/* ctl_apikey - dispatch "apikey" subcommands */

int     ctl_apikey(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
	return (apikey_add(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (apikey_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
	return (apikey_revoke(conn, argc, argv));
    return (ctl_usage(APIKEY_USAGE));
}
