/*++
/* NAME
/*	inflight 3
/* SUMMARY
/*	support messages in flight, so that a stop can let them finish
/* DESCRIPTION
/*	See inflight.h. A counter and a closed flag under one mutex; the
/*	condition variable wakes the drain when the count falls to zero.
/*--*/

/* System library. */
#include <pthread.h>
#include <time.h>

/* Application-specific. */
#include <milter/daemon/inflight.h>

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inflight_idle = PTHREAD_COND_INITIALIZER;
static int inflight_count;
static int inflight_closed;

/* inflight_begin - one more message, unless we are stopping */

int     inflight_begin(void)
{
    int     ret = 0;

    pthread_mutex_lock(&inflight_lock);
    if (inflight_closed)
	ret = -1;
    else
	inflight_count++;
    pthread_mutex_unlock(&inflight_lock);
    return (ret);
}

/* inflight_end - one message less */

void    inflight_end(void)
{
    pthread_mutex_lock(&inflight_lock);
    if (inflight_count > 0 && --inflight_count == 0)
	pthread_cond_broadcast(&inflight_idle);
    pthread_mutex_unlock(&inflight_lock);
}

/* inflight_drain - refuse new messages, wait for the rest */

int     inflight_drain(int seconds)
{
    struct timespec deadline;
    int     left;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&inflight_lock);
    inflight_closed = 1;
    while (inflight_count > 0
	   && pthread_cond_timedwait(&inflight_idle, &inflight_lock, &deadline) == 0)
	 /* void */ ;
    left = inflight_count;
    pthread_mutex_unlock(&inflight_lock);
    return (left);
}
