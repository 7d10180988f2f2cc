/*++
/* NAME
/*	ctl_region 3
/* SUMMARY
/*	which region's database a ticketctl command runs on
/* SYNOPSIS
/*	ticketctl [--region NAME] COMMAND ...
/* DESCRIPTION
/*	Each region (config->regions) is its own database. A command runs
/*	in the region that --region names; without it, where its object
/*	is, as targets[] says:
/*
/*	A listing or a job (queue list, ticket list, stats, purge, ...)
/*	runs in every region, one after the other. With several regions,
/*	its text output has a "region NAME:" line before each region's,
/*	and its JSON is one array: the regions' arrays joined, each object
/*	with a "region" member (ctl_print_json()).
/*
/*	A command on one ticket, message, attachment, outbox mail or queue
/*	runs in the region that holds it; ticket numbers are apart across
/*	regions (region(3)), but ids are each database's own, so an id two
/*	regions hold needs --region. A command on an agent runs in each
/*	region that has the agent. Where no region holds the object, the
/*	command runs in the default region and says so itself.
/*
/*	queue add creates the queue in --region's database (default: the
/*	default region), refusing an address another region has.
/*
/*	init and migrate bring every region's schema up to date, then
/*	name each region's database and keep ticket numbers apart
/*	(region_claim_all()).
/*
/*	A region whose database cannot be reached stops a command that
/*	must find its object (it could be there); a listing goes on with
/*	the other regions and exits with status 1.
/*--*/

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <glib.h>
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/migrations.h>
#include <milter/core/region.h>
#include <milter/core/store.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

/* How a command finds its region. */
typedef enum CTL_WHERE {
    WHERE_EACH,				/* every region */
    WHERE_ONE,				/* the one region holding the object */
    WHERE_ONE_OR_EACH,			/* as WHERE_ONE if named, else every region */
    WHERE_ALL,				/* each region holding the object */
    WHERE_NEW_QUEUE,			/* --region; no other may have it */
    WHERE_DEFAULT,			/* the default region only */
} CTL_WHERE;

/* The options that take a value, so that a value is not taken for the object. */
static const char *const value_options[] = {"-o", "--name", "--confirm", "--language", "--lang",
    "--retention-days", "--queue", "--status", "--customer", "--since", "--text", "--html",
"--login", "--notify", "--digest", 0};

static const char PROBE_QUEUE[] = "SELECT 1 FROM queues WHERE address = lower($1)";

/* What a command names, and how to find it; the first match applies. */
static const struct CTL_TARGET {
    const char *command;
    const char *sub;			/* NULL: any */
    CTL_WHERE where;
    const char *probe;			/* a row when $1 is here */
    const char *option;			/* $1 is this option's value, not the
					 * first argument after sub */
}       targets[] = {
    {"queue", "add", WHERE_NEW_QUEUE, PROBE_QUEUE, NULL},
    {"queue", "set", WHERE_ONE, PROBE_QUEUE, NULL},
    {"queue", "remove", WHERE_ONE, PROBE_QUEUE, NULL},
    {"ticket", "list", WHERE_ONE_OR_EACH, PROBE_QUEUE, "--queue"},
    {"ticket", "show", WHERE_ONE, "SELECT 1 FROM tickets WHERE number = $1", NULL},
    {"ticket", "status", WHERE_ONE, "SELECT 1 FROM tickets WHERE number = $1", NULL},
    {"ticket", "cc", WHERE_ONE, "SELECT 1 FROM tickets WHERE number = $1", NULL},
    {"message", NULL, WHERE_ONE, "SELECT 1 FROM messages WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END", NULL},
    {"attachment", NULL, WHERE_ONE, "SELECT 1 FROM attachments WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END", NULL},
    {"outbox", "retry", WHERE_ONE, "SELECT 1 FROM outbox WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END", NULL},
    {"agent", "add", WHERE_ONE, PROBE_QUEUE, "--queue"},
    {"agent", "login", WHERE_ALL, "SELECT 1 FROM agents WHERE address = lower($1)", NULL},
    {"agent", "set", WHERE_ALL, "SELECT 1 FROM agents WHERE address = lower($1)", NULL},
    {"agent", "remove", WHERE_ALL, "SELECT 1 FROM agents WHERE address = lower($1)", NULL},
    {"template", "set", WHERE_ONE, PROBE_QUEUE, NULL},
    {"template", "show", WHERE_ONE, PROBE_QUEUE, NULL},
    {"canned", "set", WHERE_ONE, PROBE_QUEUE, NULL},
    {"canned", "show", WHERE_ONE, PROBE_QUEUE, NULL},
    {"canned", "remove", WHERE_ONE, PROBE_QUEUE, NULL},
    {"apikey", NULL, WHERE_DEFAULT, NULL, NULL},
    {"webhook", "add", WHERE_ONE, PROBE_QUEUE, "--queue"},
    {"webhook", "retry", WHERE_ONE, "SELECT 1 FROM webhook_deliveries WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END", NULL},
    {"webhook", "remove", WHERE_ONE, "SELECT 1 FROM webhooks WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END", NULL},
    {"privacy", "export", WHERE_ONE, "SELECT 1 FROM contacts WHERE address = lower($1)", NULL},
    {0},
};

static const CONFIG *region_config;
static PGconn **region_conns;		/* opened on demand, by index */
static int region_current = -1;		/* the region a command runs in */
static JsonArray *region_json;		/* the joined JSON output, or NULL */
static int region_runs;			/* regions the command ran in so far */

/* ctl_region_name - the region the command runs in, for messages; NULL
 * when there is only one */

const char *ctl_region_name(void)
{
    if (region_config == NULL || region_config->region_count < 2 || region_current < 0)
	return (NULL);
    return (region_config->regions[region_current].name);
}

/* region_json_add - one element, with the region it came from */

static void region_json_add(JsonArray *unused_array, guint unused_index, JsonNode *node,
			            gpointer unused_context)
{
    JsonNode *copy = json_node_copy(node);

    if (JSON_NODE_HOLDS_OBJECT(copy))
	json_object_set_string_member(json_node_get_object(copy), "region",
				      region_config->regions[region_current].name);
    json_array_add_element(region_json, copy);
}

/* region_json_print - print the joined array */

static void region_json_print(void)
{
    JsonNode *node = json_node_init_array(json_node_alloc(), region_json);
    char   *text = json_to_string(node, FALSE);

    puts(text);
    g_free(text);
    json_node_unref(node);
    json_array_unref(region_json);
    region_json = NULL;
}

/* ctl_region_first - the command runs in its first region (a table's
 * header is printed once) */

int     ctl_region_first(void)
{
    return (region_runs == 0);
}

/* ctl_print_json - print the single JSON value a query built */

void    ctl_print_json(PGresult *res)
{
    ctl_print_json_text(PQgetvalue(res, 0, 0));
}

/* ctl_print_json_text - print a JSON value; in a command over several
 * regions, join it to the others' */

void    ctl_print_json_text(const char *json)
{
    JsonParser *parser;
    JsonNode *root;

    if (region_json == NULL) {
	puts(json);
	return;
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, json, -1, NULL))
	msg_fatal("not JSON: %.80s", json);
    root = json_parser_get_root(parser);
    if (JSON_NODE_HOLDS_ARRAY(root))
	json_array_foreach_element(json_node_get_array(root), region_json_add, NULL);
    else
	region_json_add(NULL, 0, root, NULL);
    g_object_unref(parser);
}

/* region_connect - the connection to one region, opened once; NULL
 * with the reason in err */

static PGconn *region_connect(int region, int needs_schema, TM_ERROR *err)
{
    const CONFIG_REGION *r = region_config->regions + region;
    PGconn *conn;
    TM_ERROR why;

    if (region_conns[region])
	return (region_conns[region]);
    if ((conn = store_connect(r->conninfo, region_config->database_timeout, &why)) == NULL) {
	tm_error(err, "%s%s", why.text, ctl_connect_hint(why.text));
	return (NULL);
    }
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    if (needs_schema && (migrations_check(conn, 1, &why) < 0
			 || region_verify(conn, region_config, region, &why) != 0)) {
	PQfinish(conn);
	tm_error(err, "%s", why.text);
	return (NULL);
    }
    if (needs_schema)
	ctl_audit_session(conn);
    return (region_conns[region] = conn);
}

/* region_fail - say why a region failed; the failure status */

static int region_fail(int region, const TM_ERROR *err)
{
    if (region_config->region_count > 1)
	return (ctl_fail("region %s: %s", region_config->regions[region].name, err->text));
    return (ctl_fail("%s", err->text));
}

/* target_of - how COMMAND SUB finds its region */

static const struct CTL_TARGET *target_of(int argc, char **argv)
{
    for (const struct CTL_TARGET *t = targets; t->command; t++)
	if (strcmp(t->command, argv[0]) == 0
	    && (t->sub == NULL || (argc > 1 && strcmp(t->sub, argv[1]) == 0)))
	    return (t);
    return (NULL);
}

/* takes_value - the option is followed by its value */

static int takes_value(const char *arg)
{
    for (int i = 0; value_options[i]; i++)
	if (strcmp(arg, value_options[i]) == 0)
	    return (1);
    return (0);
}

/* target_value - what a target names: an option's value, or the first
 * argument after the subcommand that is neither an option nor an
 * option's value; a message id's "#" as ticket show lists it is dropped */

static const char *target_value(const struct CTL_TARGET *t, int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
	if (t->option) {
	    if (strcmp(argv[i], t->option) == 0 && i + 1 < argc)
		return (argv[i + 1]);
	} else if (argv[i][0] == '-') {
	    i += takes_value(argv[i]);
	} else {
	    return (argv[i] + (argv[i][0] == '#'));
	}
    }
    return (NULL);
}

/* region_probe - which regions hold the object: found[i] set; -1 when a
 * region cannot be asked */

static int region_probe(const char *probe, const char *value, int *found)
{
    /* Without a region's answer, "not there" and "already there" are guesses. */
    const char *params[1] = {value};
    TM_ERROR err;
    PGconn *conn;
    PGresult *res;

    for (int i = 0; i < region_config->region_count; i++) {
	if ((conn = region_connect(i, 1, &err)) == NULL) {
	    region_fail(i, &err);
	    ctl_fail("cannot tell which region holds \"%s\"", value);
	    return (-1);
	}
	region_current = i;
	res = ctl_query(conn, probe, 1, params);
	found[i] = PQntuples(res) > 0;
	PQclear(res);
    }
    region_current = -1;
    return (0);
}

/* ctl_queue_known - some region holds the queue: 1; 0 none; -1 after
 * saying which region cannot be asked */

int     ctl_queue_known(const char *address)
{
    int    *found = g_new0(int, region_config->region_count);
    int     current = region_current, known = 0;

    if (region_probe(PROBE_QUEUE, address, found) < 0)
	known = -1;
    for (int i = 0; known == 0 && i < region_config->region_count; i++)
	known = found[i];
    region_current = current;
    g_free(found);
    return (known);
}

/* region_names - the names of the regions set in found (all: NULL) */

static char *region_names(const int *found)
{
    GString *names = g_string_new(NULL);

    for (int i = 0; i < region_config->region_count; i++)
	if (found == NULL || found[i])
	    g_string_append_printf(names, "%s%s", names->len ? ", " : "",
				   region_config->regions[i].name);
    return (g_string_free(names, FALSE));
}

/* region_run - run the command in one region; its exit status */

static int region_run(int region, CTL_COMMAND *run, int needs_schema, int header,
		              int argc, char **argv)
{
    char  **args = g_memdup2(argv, (gsize) (argc + 1) * sizeof(*argv));
    PGconn *conn;
    TM_ERROR err;
    int     status;

    if ((conn = region_connect(region, needs_schema, &err)) == NULL) {
	g_free(args);
	return (region_fail(region, &err));
    }
    region_current = region;
    if (header) {
	printf("region %s:\n", region_config->regions[region].name);
	fflush(stdout);
    }
    status = run(conn, argc, args);
    region_current = -1;
    region_runs++;
    g_free(args);
    return (status);
}

/* new_queue_region - queue add: the region named (found[region] set),
 * unless another region has the address; 0 or a failure status */

static int new_queue_region(const struct CTL_TARGET *t, int argc, char **argv, int region,
			            int *found)
{
    const char *value = target_value(t, argc, argv);
    char   *names;
    int     count = 0;

    if (value && region_config->region_count > 1) {
	if (region_probe(t->probe, value, found) < 0)
	    return (1);
	for (int i = 0; i < region_config->region_count; i++)
	    count += found[i] && i != region;
	if (count > 0) {
	    found[region] = 0;
	    names = region_names(found);
	    ctl_fail("%s is already a queue of region %s: one address, one region", value, names);
	    g_free(names);
	    return (1);
	}
    }
    memset(found, 0, sizeof(*found) * (size_t) region_config->region_count);
    found[region] = 1;
    return (0);
}

/* regions_found - the regions a command runs in without --region
 * (found[i] set); 0, or a failure status */

static int regions_found(const struct CTL_TARGET *t, int argc, char **argv, int *found)
{
    const char *value = t ? target_value(t, argc, argv) : NULL;
    int     count = 0, every = (t == NULL || t->where == WHERE_EACH
				    || (t->where == WHERE_ONE_OR_EACH && value == NULL));
    char   *names;

    if (t && t->where == WHERE_DEFAULT) {
	found[0] = 1;
	return (0);
    }
    /* QUEUE "default": the templates and canned answers of every queue. */
    if (!every && value && t->probe == PROBE_QUEUE && strcmp(value, "default") == 0)
	every = 1;
    if (every || value == NULL || region_config->region_count == 1) {
	for (int i = 0; i < region_config->region_count; i++)
	    found[i] = every || i == 0;
	return (0);
    }
    if (region_probe(t->probe, value, found) < 0)
	return (1);
    for (int i = 0; i < region_config->region_count; i++)
	count += found[i];
    if (count > 1 && t->where != WHERE_ALL) {
	names = region_names(found);
	ctl_fail("\"%s\" is in regions %s: name one with --region NAME", value, names);
	g_free(names);
	return (1);
    }
    /* Nowhere: with one region its command says so, with several ticketctl. */
    if (count == 0) {
	names = region_names(NULL);
	ctl_fail("no region holds \"%s\" (the regions: %s)", value, names);
	g_free(names);
	return (1);
    }
    return (0);
}

/* ctl_region_run - run a command in its region(s); its exit status */

int     ctl_region_run(const CONFIG *config, CTL_COMMAND *run, int needs_schema,
		               int argc, char **argv)
{
    const char *name = ctl_option(&argc, argv, "--region");
    const struct CTL_TARGET *t = target_of(argc, argv);
    int     count = config->region_count, region = 0, runs = 0, failed = 0, header, status, ret;
    int    *found = g_new0(int, count);
    char   *names;

    region_config = config;
    region_conns = g_new0(PGconn *, count);
    if (name && (region = config_region_find(config, name)) < 0) {
	names = region_names(NULL);
	status = ctl_fail("unknown region \"%s\" (the regions: %s)", name, names);
	g_free(names);
    } else if (t && t->where == WHERE_DEFAULT && region != 0) {
	status = ctl_fail("%s lives in the default region only", argv[0]);
    } else if (t && t->where == WHERE_NEW_QUEUE) {
	status = new_queue_region(t, argc, argv, region, found);
    } else if (name) {
	found[region] = 1;
	status = 0;
    } else {
	status = regions_found(t, argc, argv, found);
    }
    for (int i = 0; i < count; i++)
	runs += found[i];
    if (status == 0 && runs > 1 && ctl_has_flag(argc, argv, "--json"))
	region_json = json_array_new();
    /* Headers would break JSON and CSV: their objects and rows name the region. */
    header = runs > 1 && !ctl_has_flag(argc, argv, "--json") && !ctl_has_flag(argc, argv, "--csv");
    /* A listing goes on past a region that fails. */
    for (int i = 0; status == 0 && i < count; i++) {
	if (found[i]) {
	    ret = region_run(i, run, needs_schema, header, argc, argv);
	    failed = MAX(failed, ret);
	}
    }
    if (region_json)
	region_json_print();
    status = MAX(status, failed);
    for (int i = 0; i < count; i++)
	PQfinish(region_conns[i]);
    g_free(region_conns);
    g_free(found);
    return (status);
}

/* ctl_region_migrate - init and migrate: every region's schema, then
 * the regions' names and ticket numbers */

int     ctl_region_migrate(const CONFIG *config, int argc, char **argv)
{
    int     dry_run = ctl_flag(&argc, argv, "--dry-run");
    int     count = config->region_count, status = 0, applied, version;
    TM_ERROR err;

    if (argc != 1)
	return (ctl_usage(strcmp(argv[0], "init") == 0 ? "init" : "migrate [--dry-run]"));
    region_config = config;
    region_conns = g_new0(PGconn *, count);
    for (int i = 0; status == 0 && i < count; i++) {
	const char *prefix = count > 1 ? config->regions[i].name : NULL;

	if (region_connect(i, 0, &err) == NULL
	    || (applied = migrations_apply(region_conns[i], dry_run, stdout, &err)) < 0
	    || migrations_applied(region_conns[i], &version, &err) < 0) {
	    status = region_fail(i, &err);
	    break;
	}
	if (prefix)
	    printf("region %s: ", prefix);
	if (dry_run)
	    printf("%d migration(s) pending; the schema is at version %d\n", applied, version);
	else
	    printf("schema at version %d (%d migration(s) applied now)\n", version, applied);
    }
    if (status == 0 && !dry_run && region_claim_all(region_conns, config, stdout, &err) < 0)
	status = ctl_fail("%s", err.text);
    for (int i = 0; i < count; i++)
	PQfinish(region_conns[i]);
    g_free(region_conns);
    region_conns = NULL;
    return (status);
}
