/*++
/* NAME
/*	fuzz_parser 1
/* SUMMARY
/*	libFuzzer target: parse any bytes, render JSON, free
/* DESCRIPTION
/*	Built with clang -fsanitize=fuzzer,address,undefined into
/*	build/fuzz/fuzz_parser (make fuzz). Bounds are the defaults, so
/*	the fuzzer also exercises the paths past them.
/*
/*	Most inputs are whole messages. Two kinds are wrapped first, so
/*	that the seeds reach the modules behind them: an input that starts
/*	with the TNEF signature becomes a winmail.dat attachment (the
/*	corpus ships raw TNEF streams), one that starts with '<' becomes a
/*	text/html body.
/*--*/

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include <parser/mail.h>

/* LLVMFuzzerInitialize - initialize gmime and libxml2 once */

int     LLVMFuzzerInitialize(int *argc, char ***argv)
{
    mail_parser_init();
    return (0);
}

/* fuzz_wrap - the message to parse for one input */

static GString *fuzz_wrap(const uint8_t *data, size_t size)
{
    GString *msg = g_string_sized_new(size * 4 / 3 + 256);

    if (size >= 4 && memcmp(data, "\x78\x9f\x3e\x22", 4) == 0) {
	char   *b64 = g_base64_encode(data, size);

	g_string_append(msg, "Content-Type: multipart/mixed; boundary=F\n\n--F\n"
			"Content-Type: text/plain\n\nsee attached\n--F\n"
			"Content-Type: application/ms-tnef; name=winmail.dat\n"
			"Content-Transfer-Encoding: base64\n\n");
	g_string_append(msg, b64);
	g_string_append(msg, "\n--F--\n");
	g_free(b64);
    } else if (size >= 1 && data[0] == '<') {
	g_string_append(msg, "Content-Type: text/html; charset=utf-8\n\n");
	g_string_append_len(msg, (const char *) data, size);
    } else {
	g_string_append_len(msg, (const char *) data, size);
    }
    return (msg);
}

/* LLVMFuzzerTestOneInput - parse one input */

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GString *msg = fuzz_wrap(data, size);
    MAIL   *mail = mail_parse_bytes(msg->str, msg->len, NULL);
    char   *json = mail_to_json(mail, 0);
    char   *safe_html = mail_html_sanitized(mail);

    g_free(json);
    g_free(safe_html);
    mail_free(mail);
    g_string_free(msg, TRUE);
    return (0);
}
