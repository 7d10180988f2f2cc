/*++
/* NAME
/*	api_update 3
/* SUMMARY
/*	ticket-api: change a ticket's status or assignee
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_ticket_patch(API_REQUEST *req, const char *number)
/* DESCRIPTION
/*	api_ticket_patch() is PATCH /v1/tickets/{number} with a JSON
/*	object {"status"?, "assignee"?}: a status other than "new" (the
/*	change goes through ticket_status_change(), as an agent's #close
/*	by mail: closing mails the customer), an assignee who is an agent
/*	of the ticket's queue, or null to unassign. The events name the
/*	actor "api:KEY". The answer is the ticket, as GET gives it. Ticket
/*	numbers are unique across regions: each region is asked in turn.
/* DIAGNOSTICS
/*	-1 with the reply set: 403 for a key of scope read, 400/415/422
/*	for the body (api_body_object()), 422 for a value, 404, 409 for a
/*	ticket merged or erased, 503.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/ingest.h>
#include <milter/core/ticket_status.h>

/* Application-specific. */
#include <api/api.h>

/* patch_apply - the change in each region until one has the ticket; 1
 * done, 0 no such ticket, -1 with the reply set */

static int patch_apply(API_REQUEST *req, const char *number, const char *status,
		               int set_assignee, const char *assignee)
{
    char   *limits = ingest_limits(req->api->config), *actor = g_strdup_printf("api:%s", req->key.name);
    const char *params[8] = {number, req->key.queues, status, set_assignee ? "true" : "false",
    assignee, actor, limits, req->api->config->recipient_delimiter};
    PGresult *res;
    int     found = 0;

    for (int r = 0; found == 0 && r < req->api->config->region_count; r++) {
	if (api_db_query(req, r, "SELECT api_ticket_update($1, $2::text[], $3, $4::boolean, $5, $6,"
			 " $7::jsonb, $8)", 8, params, &res) < 0) {
	    found = -1;
	    break;
	}
	found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
    }
    g_free(limits);
    g_free(actor);
    return (found);
}

/* api_ticket_patch - PATCH /v1/tickets/{number} */

int     api_ticket_patch(API_REQUEST *req, const char *number)
{
    static const char *const members[] = {"status", "assignee", 0};
    const char *status, *assignee;
    JsonObject *object;
    int     has_status, has_assignee, found;

    if (!req->key.write)
	return (api_problem(req, 403, "this key may only read (ticketctl apikey add ... --scope write)"));
    if ((object = api_body_object(req, members)) == NULL)
	return (-1);
    if ((has_status = api_body_string(req, object, "status", 0, &status)) < 0
	|| (has_assignee = api_body_string(req, object, "assignee", 1, &assignee)) < 0)
	found = -1;
    else if (has_status && (!ticket_status_known(status) || strcmp(status, "new") == 0))
	found = api_problem(req, 422, "status: use open, pending, solved, closed or spam");
    else if (!has_status && !has_assignee)
	found = api_problem(req, 422, "nothing to change: give status, assignee or both");
    else if (assignee && (strlen(assignee) > 320 || strchr(assignee, '@') == NULL))
	found = api_problem(req, 422, "assignee: not an agent's address");
    else
	found = patch_apply(req, number, status, has_assignee, assignee);
    json_object_unref(object);
    if (found < 0)
	return (-1);
    if (found == 0)
	return (api_problem(req, 404, "there is no ticket %s that this key may see", number));
    return (api_ticket_get(req, number));
}
