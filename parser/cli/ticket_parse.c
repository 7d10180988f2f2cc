/*++
/* NAME
/*	ticket-parse 1
/* SUMMARY
/*	print the parser's view of a message as JSON
/* SYNOPSIS
/*	ticket-parse [--bytes] [--tag FORMAT] [--marker TEXT]
/*		[--spam-header NAME] FILE.eml | -
/*
/*	ticket-parse --tnef FILE.dat
/* DESCRIPTION
/*	ticket-parse parses one message with the parser library and
/*	prints the result as JSON (see parser/README.md). --bytes adds the
/*	attachment bytes in base64; --tag sets the ticket tag format
/*	(default "[#NUMBER]"); --marker sets the "reply above this line"
/*	marker; --spam-header names the content filter's verdict header.
/*
/*	With --tnef the file is a raw winmail.dat; the files it carries
/*	are printed, one name per line followed by a TAB, the size and
/*	the SHA-256.
/* DIAGNOSTICS
/*	Exit status 0 when the message was parsed (best effort counts),
/*	1 when the file cannot be read, 2 on usage errors.
/*--*/

/* System library. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Parser library. */
#include <parser/mail.h>

/* usage - print the synopsis and exit */

static int usage(void)
{
    fprintf(stderr, "usage: ticket-parse [--bytes] [--tag FORMAT] [--marker TEXT] [--spam-header NAME]"
	    " FILE.eml | -\n"
	    "       ticket-parse --tnef FILE.dat\n");
    return (2);
}

/* print_tnef - list the files of a raw winmail.dat */

static int print_tnef(const char *path)
{
    char   *data;
    gsize   len;
    GString *msg;
    MAIL   *mail;

    if (!g_file_get_contents(path, &data, &len, NULL)) {
	fprintf(stderr, "ticket-parse: cannot read %s\n", path);
	return (1);
    }
    /* Wrap the blob in a message: the library expands what it finds. */
    msg = g_string_new("Content-Type: application/ms-tnef\n"
		       "Content-Transfer-Encoding: base64\n\n");
    {
	char   *b64 = g_base64_encode((guchar *) data, len);

	g_string_append(msg, b64);
	g_free(b64);
    }
    mail = mail_parse_bytes(msg->str, msg->len, NULL);
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *att = mail_attachment(mail, i);

	if (strcmp(att->origin, "tnef") == 0)
	    printf("%s\t%zu\t%s\n", att->filename ? att->filename : "",
		   att->size, att->sha256);
    }
    mail_free(mail);
    g_string_free(msg, TRUE);
    g_free(data);
    return (0);
}

/* main - parse one message and print it as JSON */

int     main(int argc, char **argv)
{
    MAIL_LIMITS limits;
    MAIL_OPTIONS options;
    MAIL   *mail;
    int     fd;
    int     with_bytes = 0;
    int     i;
    char   *json;

    mail_parser_init();
    mail_limits_default(&limits);
    mail_options_default(&options);
    for (i = 1; i < argc - 1; i++) {
	if (strcmp(argv[i], "--bytes") == 0)
	    with_bytes = 1;
	else if (strcmp(argv[i], "--tag") == 0 && i + 2 < argc)
	    options.tag_format = argv[++i];
	else if (strcmp(argv[i], "--marker") == 0 && i + 2 < argc)
	    options.reply_marker = argv[++i];
	else if (strcmp(argv[i], "--spam-header") == 0 && i + 2 < argc) {
	    if ((options.spam_header = mail_spam_header_name(argv[++i])) == NULL) {
		fprintf(stderr, "ticket-parse: unknown --spam-header \"%s\": use X-Spam-Flag,"
			" X-Spam-Status, X-Spam or X-Rspamd-Action\n", argv[i]);
		return (2);
	    }
	}
	else if (strcmp(argv[i], "--tnef") == 0 && i + 2 == argc)
	    return (print_tnef(argv[i + 1]));
	else
	    return (usage());
    }
    if (i != argc - 1)
	return (usage());
    if (strcmp(argv[i], "-") == 0)
	fd = 0;
    else if ((fd = open(argv[i], O_RDONLY)) < 0) {
	fprintf(stderr, "ticket-parse: cannot open %s: %m\n", argv[i]);
	return (1);
    }
    mail = mail_parse_fd_with(fd, &limits, &options);
    json = mail_to_json(mail, with_bytes);
    fputs(json, stdout);
    fputc('\n', stdout);
    g_free(json);
    mail_free(mail);
    if (fd != 0)
	close(fd);
    return (0);
}
