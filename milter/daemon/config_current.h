#ifndef MILTER_CONFIG_CURRENT_H
#define MILTER_CONFIG_CURRENT_H

/*++
/* NAME
/*	config_current 3h
/* SUMMARY
/*	the configuration in force, replaced whole by a reload
/* SYNOPSIS
/*	#include <milter/daemon/config_current.h>
/*
/*	void	config_current_set(CONFIG *config)
/*
/*	const CONFIG *config_current_get(void)
/*
/*	void	config_current_put(const CONFIG *config)
/*
/*	int	config_current_reload(const char *path, GString *ignored,
/*				      TM_ERROR *err)
/*
/*	void	config_current_clear(void)
/* DESCRIPTION
/*	The daemon holds one current configuration. A connection takes a
/*	reference when it starts and keeps using that configuration until
/*	it closes, as OpenDKIM does: a reload (SIGUSR1) never changes the
/*	settings under a message in flight, and the old configuration is
/*	released when its last connection is gone.
/*
/*	config_current_set() installs config, taking over the caller's
/*	reference, and drops the module's reference to the one before.
/*
/*	config_current_get() returns a new reference to the current
/*	configuration (NULL before the first set); give it back with
/*	config_current_put().
/*
/*	config_current_reload() reads path. When the file is good, the
/*	keys that only a restart may change keep their running values,
/*	their names are appended to ignored (for the log line), and the
/*	new configuration becomes current. When it is not, the current
/*	one stays.
/*
/*	config_current_clear() drops the module's reference (at exit).
/*
/*	All functions are safe from any thread.
/* DIAGNOSTICS
/*	config_current_reload() returns -1 with config_load()'s reason
/*	(file, line, key) in err and changes nothing; else the number of
/*	restart-only keys whose change was ignored.
/*--*/

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/config.h>

extern void config_current_set(CONFIG *);
extern const CONFIG *config_current_get(void);
extern void config_current_put(const CONFIG *);
extern int config_current_reload(const char *, GString *, TM_ERROR *);
extern void config_current_clear(void);

#endif
