/*++
/* NAME
/*	session 3
/* SUMMARY
/*	what the milter knows of one SMTP connection and its message
/* DESCRIPTION
/*	See session.h.
/*--*/

/* External libraries. */
#include <libmilter/mfapi.h>

/* Application-specific. */
#include <milter/daemon/session.h>

/* session_create - a session with no message yet */

SESSION *session_create(void)
{
    SESSION *session = g_new0(SESSION, 1);

    session->recipients = g_ptr_array_new_with_free_func(g_free);
    session->support_rcpts = g_ptr_array_new_with_free_func(g_free);
    session->support_queues = g_ptr_array_new_with_free_func(g_free);
    session->ar_forged = g_array_new(FALSE, FALSE, sizeof(guint));
    session->reply_tokens = g_ptr_array_new_with_free_func(g_free);
    session->queue_regions = g_array_new(FALSE, FALSE, sizeof(int));
    session->token_regions = g_array_new(FALSE, FALSE, sizeof(int));
    return (session);
}

/* session_reset_message - forget the current message */

void    session_reset_message(SESSION *session)
{
    g_clear_pointer(&session->sender, g_free);
    g_clear_pointer(&session->auth_authen, g_free);
    g_ptr_array_set_size(session->recipients, 0);
    g_ptr_array_set_size(session->support_rcpts, 0);
    g_ptr_array_set_size(session->support_queues, 0);
    g_ptr_array_set_size(session->reply_tokens, 0);
    g_array_set_size(session->queue_regions, 0);
    g_array_set_size(session->token_regions, 0);
    session->queues_unknown = 0;
    g_clear_pointer(&session->message, msgbuf_free);
    g_clear_pointer(&session->auth_json, g_free);
    session->sender_authenticated = 0;
    session->agent_proof = 0;
    session->seen_fields = 0;
    session->twice_fields = 0;
    session->duplicate_header = 0;
    session->ar_count = 0;
    g_array_set_size(session->ar_forged, 0);
    session->too_big = 0;
    session->failed = 0;
}

/* session_free - release a session and its message */

void    session_free(SESSION *session)
{
    if (session == NULL)
	return;
    session_reset_message(session);
    g_ptr_array_free(session->recipients, TRUE);
    g_ptr_array_free(session->support_rcpts, TRUE);
    g_ptr_array_free(session->support_queues, TRUE);
    g_array_free(session->ar_forged, TRUE);
    g_ptr_array_free(session->reply_tokens, TRUE);
    g_array_free(session->queue_regions, TRUE);
    g_array_free(session->token_regions, TRUE);
    g_free(session->client_ip);
    g_free(session->client_name);
    g_free(session->helo);
    config_free(session->config);
    g_free(session);
}

/* session_envelope - what ingest needs of the current message */

INGEST_ENVELOPE *session_envelope(const SESSION *session, const char *mta_queue_id,
				          INGEST_ENVELOPE *envelope)
{
    *envelope = (INGEST_ENVELOPE) {
	.sender = session->sender,
	.recipients = session->recipients,
	.queues = session->support_queues,
	.tokens = session->reply_tokens,
	.client_ip = session->client_ip,
	.client_name = session->client_name,
	.helo = session->helo,
	.mta_queue_id = mta_queue_id,
	.auth_json = session->auth_json,
	.sender_authenticated = session->sender_authenticated,
	.agent_proof = session->agent_proof,
	.sasl_login = session->auth_authen,
	.duplicate_header = session->duplicate_header,
    };
    return (envelope);
}

/* session_header_value - a header value, with the space the MTA expects */

char   *session_header_value(const SESSION *session, const char *value)
{
    return (g_strconcat((session->protocol & SMFIP_HDR_LEADSPC) ? " " : "", value, NULL));
}
