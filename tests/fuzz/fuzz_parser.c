/*++
/* NAME
/*	fuzz_parser 1
/* SUMMARY
/*	libFuzzer target: parse any bytes, render JSON, free
/* DESCRIPTION
/*	Built with clang -fsanitize=fuzzer,address,undefined into
/*	build/fuzz/fuzz_parser (make fuzz). Bounds are the defaults, so
/*	the fuzzer also exercises the paths past them.
/*--*/

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include <parser/mail.h>

/* LLVMFuzzerInitialize - initialize gmime and libxml2 once */

int     LLVMFuzzerInitialize(int *argc, char ***argv)
{
    mail_parser_init();
    return (0);
}

/* LLVMFuzzerTestOneInput - parse one input */

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MAIL   *mail = mail_parse_bytes((const char *) data, size, NULL);
    char   *json = mail_to_json(mail, 0);

    g_free(json);
    mail_free(mail);
    return (0);
}
