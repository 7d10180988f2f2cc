/*++
/* NAME
/*	region 3
/* SUMMARY
/*	a database as one region: its name checked, its ticket numbers apart
/* DESCRIPTION
/*	See region.h. What a region's identity means is written in SQL
/*	(sql/functions/region.sql); this module asks and tells it.
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/region.h>

#define REGION_SLOTS	100		/* region_number_step() */
#define REGION_MARGIN	1000		/* numbers a region without a slot may
					 * still give while migrate runs */
#define REGION_FIRST	100001		/* ticket_number_seq's START */

/* region_query - a parameterized query; NULL with the reason in err */

static PGresult *region_query(PGconn *conn, const char *name, const char *sql, int nparams,
			              const char *const *params, TM_ERROR *err)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	tm_error(err, "region %s: %s", name, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
		 ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(conn));
	PQclear(res);
	return (NULL);
    }
    return (res);
}

/* region_verify - the database is the region of that index */

int     region_verify(PGconn *conn, const CONFIG *config, int region, TM_ERROR *err)
{
    const char *params[] = {config->regions[region].name,
    config->region_count > 1 ? "true" : "false"};
    PGresult *res = region_query(conn, params[0], "SELECT region_verify($1, $2)", 2, params, err);
    int     ret = 0;

    if (res == NULL)
	return (-1);
    if (!PQgetisnull(res, 0, 0)) {
	tm_error(err, "%s", PQgetvalue(res, 0, 0));
	ret = 1;
    }
    PQclear(res);
    return (ret);
}

/* What region_claim_all() read of one region. */
typedef struct REGION_STATE {
    char   *name;			/* as the database says, or NULL */
    int     slot;
    long long last_number;
} REGION_STATE;

/* region_read - what a region's database says it is */

static int region_read(PGconn *conn, const char *name, REGION_STATE *state, TM_ERROR *err)
{
    PGresult *res = region_query(conn, name, "SELECT name, slot, last_number FROM region_state()",
				 0, NULL, err);

    if (res == NULL)
	return (-1);
    state->name = PQgetisnull(res, 0, 0) ? NULL : g_strdup(PQgetvalue(res, 0, 0));
    state->slot = atoi(PQgetvalue(res, 0, 1));
    state->last_number = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (state->name && strcmp(state->name, name) != 0)
	return (tm_error(err, "region %s: the database is region \"%s\": each Region line"
			 " (and Database) must name its own database", name, state->name));
    return (0);
}

/* region_claim - name one database, with a slot */

static int region_claim(PGconn *conn, const char *name, int slot, long long floor,
			        TM_ERROR *err)
{
    char    slot_text[16], floor_text[32];
    const char *params[] = {name, slot_text, floor_text};
    PGresult *res;

    snprintf(slot_text, sizeof(slot_text), "%d", slot);
    snprintf(floor_text, sizeof(floor_text), "%lld", floor);
    res = region_query(conn, name, "SELECT region_claim($1, $2, $3)", 3, params, err);
    PQclear(res);
    return (res ? 0 : -1);
}

/* free_slot - the lowest slot no region holds */

static int free_slot(const REGION_STATE *states, int count)
{
    for (int slot = 1; slot < REGION_SLOTS; slot++) {
	int     taken = 0;

	for (int i = 0; i < count && !taken; i++)
	    taken = states[i].slot == slot;
	if (!taken)
	    return (slot);
    }
    return (-1);
}

/* warn_old_numbers - two regions to be given slots have both given
 * numbers already (two help desks joined): those may repeat */

static void warn_old_numbers(const CONFIG *config, const REGION_STATE *states, FILE *out)
{
    int     first = -1;

    for (int i = 0; i < config->region_count; i++) {
	if (states[i].slot > 0 || states[i].last_number < REGION_FIRST)
	    continue;
	if (first < 0)
	    first = i;
	else
	    fprintf(out, "warning: regions %s and %s have both given ticket numbers before:"
		    " numbers given until now may name a ticket in each (ticket show asks"
		    " for --region then)\n", config->regions[first].name, config->regions[i].name);
    }
}

/* region_claim_all - name every region's database, keep numbers apart */

int     region_claim_all(PGconn *const *conns, const CONFIG *config, FILE *out, TM_ERROR *err)
{
    int     count = config->region_count, ret = 0;
    REGION_STATE *states = g_new0(REGION_STATE, count);
    long long floor = 0;

    for (int i = 0; i < count && ret == 0; i++) {
	ret = region_read(conns[i], config->regions[i].name, states + i, err);
	floor = MAX(floor, states[i].last_number + 1);
	for (int j = 0; j < i && ret == 0; j++)
	    if (states[i].slot > 0 && states[i].slot == states[j].slot)
		ret = tm_error(err, "regions %s and %s give the same ticket numbers (slot %d):"
			       " one of them is a copy of the other's database",
			       config->regions[j].name, config->regions[i].name, states[i].slot);
    }
    /* A daemon may give numbers meanwhile: start the slots above them. */
    floor += REGION_MARGIN;
    if (count > 1)
	warn_old_numbers(config, states, out);
    for (int i = 0; i < count && ret == 0; i++) {
	const char *name = config->regions[i].name;
	int     slot = states[i].slot;

	if (count > 1 && slot == 0 && (slot = free_slot(states, count)) < 0) {
	    ret = tm_error(err, "region %s: there are %d regions, the most is %d", name, count,
			   REGION_SLOTS - 1);
	    break;
	}
	if (states[i].name && slot == states[i].slot)
	    continue;
	if ((ret = region_claim(conns[i], name, slot, floor, err)) < 0)
	    break;
	states[i].slot = slot;
	if (slot > 0)
	    fprintf(out, "region %s: slot %d: its ticket numbers go from %lld in steps of %d\n",
		    name, slot, floor, REGION_SLOTS);
	else
	    fprintf(out, "region %s: named\n", name);
    }
    for (int i = 0; i < count; i++)
	g_free(states[i].name);
    g_free(states);
    return (ret);
}
