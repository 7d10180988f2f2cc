#ifndef MILTER_WEBHOOK_H
#define MILTER_WEBHOOK_H

/*++
/* NAME
/*	webhook 3h
/* SUMMARY
/*	the webhook sender: POST queued deliveries, signed, with retries
/* SYNOPSIS
/*	#include <milter/daemon/webhook.h>
/*
/*	void	webhook_start(const CONFIG *config)
/*
/*	void	webhook_stop(void)
/* DESCRIPTION
/*	The deliveries of webhooks (ticketctl webhook) are queued in the
/*	database of the queue's region by the transaction of their event
/*	(sql/functions/webhook.sql). The senders are WebhookSenders
/*	threads of the daemon for each region, like the outbox's: each
/*	with its own database connection, LISTENing on
/*	ticket_milter_webhook, which a transaction that queued a delivery
/*	notifies; besides, each looks again when the next retry is due.
/*
/*	A sender locks the next due delivery with FOR UPDATE SKIP LOCKED
/*	(webhook_next(): not while an older one of the same ticket to the
/*	same webhook waits), so that two senders, here or in another
/*	daemon, never send one delivery at once, and keeps the lock while
/*	it POSTs the payload, exactly as stored, with Content-Type
/*	application/json, X-Ticket-Event, X-Ticket-Delivery (the
/*	delivery's uuid) and X-Ticket-Signature: sha256=HEX, the
/*	HMAC-SHA256 of the body keyed with the webhook's secret. A 2xx
/*	answer within WebhookTimeout marks it delivered; anything else
/*	(another status, no answer, a redirect, which is not followed) is
/*	an attempt, retried after WebhookRetryDelay, doubling up to an
/*	hour, and failed after WebhookMaxAttempts (ticketctl webhook
/*	deliveries --failed, webhook retry). If the daemon dies during a
/*	POST, the lock goes with its connection and the delivery is sent
/*	again later: at least once; receivers tell a repeat by the
/*	delivery id.
/*
/*	A query of a sender that fails or passes DatabaseTimeout closes
/*	its connection (the delivery stays pending) and it tries again
/*	2 s later (worker(3)).
/*--*/

/* Global library. */
#include <milter/core/config.h>

extern void webhook_start(const CONFIG *);
extern void webhook_stop(void);

#endif
