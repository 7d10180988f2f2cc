/* test_inflight - support messages in flight: a stop waits for them */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include <milter/daemon/inflight.h>

/* finish_later - end one message after 300 ms */

static void *finish_later(void *unused)
{
    usleep(300 * 1000);
    inflight_end();
    return (NULL);
}

/* The drain waits for the message, then refuses new ones; one that never
 * ends is given up on after the time. Order matters: the gate stays shut. */
static void test_drain(void **state)
{
    pthread_t thread;
    time_t  start;

    assert_int_equal(inflight_begin(), 0);
    assert_int_equal(inflight_begin(), 0);
    inflight_end();
    pthread_create(&thread, NULL, finish_later, NULL);
    assert_int_equal(inflight_drain(10), 0);
    pthread_join(thread, NULL);
    assert_int_equal(inflight_begin(), -1);

    /* An end without a begin changes nothing: the count never goes negative. */
    inflight_end();
    start = time(NULL);
    assert_int_equal(inflight_drain(1), 0);
    assert_true(time(NULL) - start <= 1);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_drain),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
