/*++
/* NAME
/*	parse_bench 1
/* SUMMARY
/*	parser throughput against gmime's bare parse
/* SYNOPSIS
/*	parse_bench [-n ROUNDS] FILE...
/* DESCRIPTION
/*	parse_bench loads the files into memory and, in one run, times
/*	ROUNDS passes (default 20) of (a) gmime's bare parse,
/*	g_mime_parser_construct_message() only, and (b) the whole
/*	normalization, mail_parse_bytes(). The two are interleaved per
/*	round so that both see the same cache and clock conditions. It
/*	prints MB/s and messages/s of each and their ratio, then the peak
/*	RSS growth of one parse (measured in a child process) for the
/*	largest file and for a generated 11 MB message, as a multiple of
/*	the message size. It never fails on timings.
/*--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include <parser/mail.h>

/* now - monotonic seconds */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* bare_parse - gmime's parse and nothing else */

static void bare_parse(const char *data, size_t len)
{
    /* The bytes are read in place, as mail_parse_bytes() does. */
    GByteArray *view = g_byte_array_new_take((guint8 *) data, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(view);
    GMimeParser *parser;
    GMimeMessage *msg;
    guint8 *back;

    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    if (msg)
	g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    back = g_byte_array_steal(view, NULL);
    g_assert(back == (guint8 *) data);
    g_byte_array_unref(view);
}

/* peak_growth - peak RSS growth (bytes) of one parse, in a child */

static long peak_growth(const char *data, size_t len)
{
    int     fd[2];
    long    growth = -1;
    pid_t   pid;

    if (pipe(fd) < 0)
	return (-1);
    if ((pid = fork()) == 0) {
	struct rusage r0, r1;
	long    d;

	getrusage(RUSAGE_SELF, &r0);
	mail_free(mail_parse_bytes(data, len, NULL));
	getrusage(RUSAGE_SELF, &r1);
	d = (r1.ru_maxrss - r0.ru_maxrss) * 1024L;
	if (write(fd[1], &d, sizeof(d)) != sizeof(d))
	    _exit(1);
	_exit(0);
    }
    close(fd[1]);
    if (pid > 0 && read(fd[0], &growth, sizeof(growth)) != sizeof(growth))
	growth = -1;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return (growth);
}

/* synthetic - a large message: text, HTML and a base64 attachment */

static GString *synthetic(size_t attach_bytes)
{
    GString *s = g_string_new("From: a@example.org\nSubject: big\n"
			      "Content-Type: multipart/mixed; boundary=S\n\n"
			      "--S\nContent-Type: multipart/alternative; boundary=A\n\n"
			      "--A\nContent-Type: text/plain\n\n");
    guchar *bin = g_malloc(attach_bytes);
    char   *b64;

    for (int i = 0; i < 20000; i++)
	g_string_append(s, "Some text of a long message, line after line.\n");
    g_string_append(s, "--A\nContent-Type: text/html\n\n<html><body>");
    for (int i = 0; i < 20000; i++)
	g_string_append(s, "<p>Some <b>HTML</b> of a long message.</p>\n");
    g_string_append(s, "</body></html>\n--A--\n--S\nContent-Type: application/octet-stream\n"
		    "Content-Disposition: attachment; filename=big.bin\n"
		    "Content-Transfer-Encoding: base64\n\n");
    for (size_t i = 0; i < attach_bytes; i++)
	bin[i] = (guchar) (i * 2654435761u >> 13);
    b64 = g_base64_encode(bin, attach_bytes);
    for (size_t i = 0, n = strlen(b64); i < n; i += 76) {
	g_string_append_len(s, b64 + i, MIN(76, n - i));
	g_string_append_c(s, '\n');
    }
    g_string_append(s, "--S--\n");
    g_free(b64);
    g_free(bin);
    return (s);
}

/* main - time both parses over the files, then measure peak memory */

int     main(int argc, char **argv)
{
    int     rounds = 20;
    int     first = 1;
    GPtrArray *files = g_ptr_array_new();
    GArray *sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
    double  t_bare = 0, t_full = 0;
    size_t  total = 0, largest = 0, largest_i = 0;

    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
	rounds = atoi(argv[2]);
	first = 3;
    }
    mail_parser_init();
    for (int i = first; i < argc; i++) {
	char   *data;
	gsize   len;

	if (!g_file_get_contents(argv[i], &data, &len, NULL))
	    continue;
	g_ptr_array_add(files, data);
	g_array_append_val(sizes, len);
	total += len;
	if (len > largest) {
	    largest = len;
	    largest_i = files->len - 1;
	}
    }
    if (files->len == 0) {
	fprintf(stderr, "parse_bench: no files\n");
	return (2);
    }
    for (int r = 0; r < rounds; r++) {
	double  t0 = now();

	for (guint i = 0; i < files->len; i++)
	    bare_parse(files->pdata[i], g_array_index(sizes, gsize, i));
	t_bare += now() - t0;
	t0 = now();
	for (guint i = 0; i < files->len; i++)
	    mail_free(mail_parse_bytes(files->pdata[i], g_array_index(sizes, gsize, i), NULL));
	t_full += now() - t0;
    }
    {
	double  mb = (double) total * rounds / 1e6;
	double  msgs = (double) files->len * rounds;
	GString *big = synthetic(8 * 1024 * 1024);
	long    peak;

	printf("files\t%u\nbytes\t%zu\nrounds\t%d\n", files->len, total, rounds);
	printf("gmime_bare_MBps\t%.1f\ngmime_bare_msgps\t%.0f\n", mb / t_bare, msgs / t_bare);
	printf("parser_MBps\t%.1f\nparser_msgps\t%.0f\n", mb / t_full, msgs / t_full);
	printf("ratio\t%.2f\n", t_full / t_bare);
	peak = peak_growth(files->pdata[largest_i], largest);
	printf("largest_bytes\t%zu\nlargest_peak_rss_growth\t%ld\nlargest_peak_multiple\t%.2f\n",
	       largest, peak, (double) peak / largest);
	peak = peak_growth(big->str, big->len);
	printf("synthetic_bytes\t%zu\nsynthetic_peak_rss_growth\t%ld\nsynthetic_peak_multiple\t%.2f\n",
	       big->len, peak, (double) peak / big->len);
	g_string_free(big, TRUE);
    }
    return (0);
}
