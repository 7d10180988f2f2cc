#ifndef MILTER_RELAY_H
#define MILTER_RELAY_H

/*++
/* NAME
/*	relay 3h
/* SUMMARY
/*	rewrite an agent's reply in flight so the MTA delivers it to the customer
/* SYNOPSIS
/*	#include <milter/daemon/relay.h>
/*
/*	int	relay_apply(SMFICTX *ctx, const CONFIG *config,
/*			    const SESSION *session, const MAIL *mail,
/*			    const char *raw, size_t raw_len,
/*			    const char *relay_json, TM_ERROR *err)
/* DESCRIPTION
/*	relay_apply() takes what the database decided for an agent's
/*	reply (agent_reply() in sql/functions/agent_reply.sql) and rewrites the
/*	message with the milter's own actions: the envelope goes from the
/*	queue address to the customer and the ticket's CC participants (at
/*	most MaximumRecipients, as the database chose them).
/*
/*	The header is an allow-list: the message keeps only the fields
/*	composed here. From becomes "Agent via Queue" at the queue address,
/*	To the recipients, Reply-To the ticket's reply address, Subject
/*	carries the ticket tag (after "Re: " unless the answer starts the
/*	conversation: #new, no customer message before it), Date is now, Message-ID/In-Reply-To/
/*	References thread it to the customer's last message, and
/*	MIME-Version/Content-Type/Content-Transfer-Encoding describe the new
/*	body. Every other field the message had (raw, as the MTA showed it
/*	to the milter) is removed, every instance: the agent's Received
/*	lines, including the one our MTA prepended for this hop (it names
/*	the agent's client address), Cc, a second To, X-Originating-IP,
/*	Disposition-Notification-To, DKIM signatures that no longer hold,
/*	the client's X-Mailer, and whatever else the agent's software
/*	wrote. Received lines of the hops after ours are added later, by
/*	the MTAs that carry it. The body becomes the agent's reply alone
/*	(commands and the quoted notification removed) with the agent's
/*	attachments.
/* DIAGNOSTICS
/*	-1 with the reason in err when an action failed; the message is
/*	then half rewritten, and the caller tempfails it.
/*--*/

/* External libraries. */
#include <libmilter/mfapi.h>

/* Parser library. */
#include <parser/mail.h>

/* Global library. */
#include <milter/core/config.h>

/* Application-specific. */
#include <milter/daemon/session.h>

extern int relay_apply(SMFICTX *, const CONFIG *, const SESSION *, const MAIL *,
		               const char *, size_t, const char *, TM_ERROR *);

#endif
