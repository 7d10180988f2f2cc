#ifndef MILTER_CALLBACKS_H
#define MILTER_CALLBACKS_H

/*++
/* NAME
/*	callbacks 3h
/* SUMMARY
/*	the libmilter callbacks: classify, collect, store, answer
/* SYNOPSIS
/*	#include <milter/daemon/callbacks.h>
/*
/*	void	callbacks_init(const CONFIG *config)
/*
/*	struct smfiDesc callbacks_desc;
/* DESCRIPTION
/*	callbacks_init() hands the callbacks the configuration; call it
/*	before smfi_main(), after region_ingest_start(). callbacks_desc is what
/*	smfi_register() takes.
/*
/*	A transaction with no support recipient is accepted at DATA and
/*	costs no more. A support message is collected, parsed, stored
/*	with its ticket in one transaction (one per region its support
/*	recipients are in: region_ingest(3)), and only then accepted; when
/*	it cannot be stored the client gets a 4xx and retries. What
/*	becomes of the MTA's own copy follows MtaCopy.
/*--*/

/* External libraries. */
#include <libmilter/mfapi.h>

/* Global library. */
#include <milter/core/config.h>

extern void callbacks_init(const CONFIG *);
extern struct smfiDesc callbacks_desc;

#endif
