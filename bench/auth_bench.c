/*++
/* NAME
/*	auth_bench 1
/* SUMMARY
/*	the latency that SPF, DKIM and DMARC verification adds per message
/* SYNOPSIS
/*	auth_bench [-n COUNT] -i IP -h HELO -f MAILFROM -d FROMDOMAIN FILE
/* DESCRIPTION
/*	auth_bench reads one message (CRLF line ends) and times COUNT
/*	(default 500) calls of auth_verify() on it, against the DNS server
/*	that resolv.conf names, as the daemon would for each message. It
/*	prints "key<TAB>value" lines: count, p50_us, p99_us, mean_us,
/*	max_us, and the results of the last call (spf, dkim, dmarc), so
/*	that a reader can see that the work measured was the full work.
/*	It never fails on timings.
/*--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/auth.h>

/* now_us - monotonic microseconds */

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

/* compare_double - qsort order */

static int compare_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return ((x > y) - (x < y));
}

int     main(int argc, char **argv)
{
    AUTH_INPUT in = {0};
    AUTH_RESULTS *results = NULL;
    TM_ERROR err;
    gchar  *raw;
    gsize   len;
    double *times, sum = 0;
    int     count = 500, ch;

    while ((ch = getopt(argc, argv, "n:i:h:f:d:")) > 0) {
	switch (ch) {
	case 'n':
	    count = atoi(optarg);
	    break;
	case 'i':
	    in.client_ip = optarg;
	    break;
	case 'h':
	    in.helo = optarg;
	    break;
	case 'f':
	    in.mail_from = optarg;
	    break;
	case 'd':
	    in.from_domain = optarg;
	    break;
	default:
	    fprintf(stderr, "usage: auth_bench [-n COUNT] -i IP -h HELO -f MAILFROM -d FROMDOMAIN FILE\n");
	    return (2);
	}
    }
    if (optind != argc - 1 || count < 1 || !g_file_get_contents(argv[optind], &raw, &len, NULL)) {
	fprintf(stderr, "auth_bench: need one readable message file\n");
	return (2);
    }
    /* As the daemon with its defaults: DNSTimeout 5, DNSCacheSize 4m. */
    if (auth_init(resolver_dns_new(5, 4 * 1024 * 1024),
		  "/usr/share/publicsuffix/public_suffix_list.dat", &err) < 0) {
	fprintf(stderr, "auth_bench: %s\n", err.text);
	return (1);
    }
    in.raw = raw;
    in.raw_len = len;
    times = g_new(double, count);
    for (int i = 0; i < count; i++) {
	double  start = now_us();

	auth_results_free(results);
	results = auth_verify(&in);
	times[i] = now_us() - start;
	sum += times[i];
    }
    qsort(times, count, sizeof(double), compare_double);
    printf("count\t%d\n", count);
    printf("p50_us\t%.0f\n", times[count / 2]);
    printf("p99_us\t%.0f\n", times[(int) (count * 0.99) < count ? (int) (count * 0.99) : count - 1]);
    printf("mean_us\t%.0f\n", sum / count);
    printf("max_us\t%.0f\n", times[count - 1]);
    printf("spf\t%s\n", auth_result_name(results->spf.result));
    printf("dkim\t%s\n", results->dkim->len
	   ? auth_result_name(((AUTH_DKIM *) g_ptr_array_index(results->dkim, 0))->result) : "none");
    printf("dmarc\t%s\n", auth_result_name(results->dmarc.result));
    auth_results_free(results);
    g_free(times);
    g_free(raw);
    return (0);
}
