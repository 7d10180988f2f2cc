/*++
/* NAME
/*	config_current 3
/* SUMMARY
/*	the configuration in force, replaced whole by a reload
/* DESCRIPTION
/*	See config_current.h. The mutex guards only the pointer swap and
/*	the reference taken under it; the reference counts themselves are
/*	atomic (config_ref(), config_free()).
/*--*/

/* System library. */
#include <pthread.h>

/* Application-specific. */
#include <milter/daemon/config_current.h>

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static CONFIG *current;

/* config_current_set - install a configuration, drop the old one */

void    config_current_set(CONFIG *config)
{
    CONFIG *old;

    pthread_mutex_lock(&current_lock);
    old = current;
    current = config;
    pthread_mutex_unlock(&current_lock);
    config_free(old);
}

/* config_current_get - a reference to the configuration in force */

const CONFIG *config_current_get(void)
{
    const CONFIG *config = NULL;

    pthread_mutex_lock(&current_lock);
    if (current)
	config = config_ref(current);
    pthread_mutex_unlock(&current_lock);
    return (config);
}

/* config_current_put - give a reference back */

void    config_current_put(const CONFIG *config)
{
    config_free(config);
}

/* config_current_reload - read the file again; keep the old one if it is bad */

int     config_current_reload(const char *path, GString *ignored, TM_ERROR *err)
{
    CONFIG *fresh = config_load(path, err);
    const CONFIG *running;
    int     count;

    if (fresh == NULL)
	return (-1);
    if ((running = config_current_get()) == NULL) {
	config_current_set(fresh);
	return (0);
    }
    count = config_keep_restart_keys(fresh, running, ignored);
    config_current_put(running);
    config_current_set(fresh);
    return (count);
}

/* config_current_clear - drop the module's reference */

void    config_current_clear(void)
{
    config_current_set(NULL);
}
