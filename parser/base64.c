/*++
/* NAME
/*	base64 3
/* SUMMARY
/*	decode base64 that is written in padded chunks
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	void	base64_init(BASE64_STATE *state)
/*
/*	void	base64_step(BASE64_STATE *state, const char *data,
/*				size_t len, GByteArray *out)
/*
/*	void	base64_finish(BASE64_STATE *state, GByteArray *out)
/*
/*	GByteArray *base64_part(GMimePart *part, size_t max)
/* DESCRIPTION
/*	Mail writers encode a body, and RFC 2047 encoded words a header,
/*	in chunks that each end in "=" padding; decoded, the chunks are
/*	simply joined. gmime 3.2.13 (Debian 12) stops at the first "=" of
/*	a body (upstream #150) and of a run of encoded words (#133), so
/*	the parser decodes base64 itself, here.
/*
/*	base64_init() starts a decoder; base64_step() appends the bytes
/*	that data decodes to onto out, and may be called again with more
/*	data; base64_finish() appends what an unpadded last group holds.
/*	A "=" ends the group it is in; characters outside the alphabet
/*	(line ends, white space, garbage) are skipped, as RFC 2045 says.
/*
/*	base64_part() returns the decoded content of a base64 part, read
/*	from gmime's encoded stream, with at most max bytes and one more
/*	(so that the caller sees that the bound was reached).
/*--*/

/* Parser library. */
#include <parser/mail_impl.h>

#define BASE64_CHUNK	65536		/* encoded bytes read at once */
#define BASE64_OUT	4096		/* decoded bytes appended at once */

/* The six bits of each character; -1 outside the alphabet. */
static const signed char base64_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* base64_init - start a decoder */

void    base64_init(BASE64_STATE *state)
{
    state->bits = 0;
    state->count = 0;
}

/* base64_flush - the bytes of a group cut short by "=" or the end */

static void base64_flush(BASE64_STATE *state, GByteArray *out)
{
    guint8  b[2];

    /* Two characters carry one byte, three carry two; one carries none. */
    if (state->count == 2) {
	b[0] = (guint8) (state->bits >> 4);
	g_byte_array_append(out, b, 1);
    } else if (state->count == 3) {
	b[0] = (guint8) (state->bits >> 10);
	b[1] = (guint8) (state->bits >> 2);
	g_byte_array_append(out, b, 2);
    }
    state->bits = 0;
    state->count = 0;
}

/* base64_step - decode more input */

void    base64_step(BASE64_STATE *state, const char *data, size_t len, GByteArray *out)
{
    guint8  buf[BASE64_OUT];
    guint8 *w = buf;
    int     v;

    for (size_t i = 0; i < len; i++) {
	/* Room for one more group; a full buffer is appended at once. */
	if (w - buf > BASE64_OUT - 3) {
	    g_byte_array_append(out, buf, (guint) (w - buf));
	    w = buf;
	}
	if (data[i] == '=') {
	    /* A group cut short by padding: its whole bytes, then afresh. */
	    if (state->count == 2) {
		*w++ = (guint8) (state->bits >> 4);
	    } else if (state->count == 3) {
		*w++ = (guint8) (state->bits >> 10);
		*w++ = (guint8) (state->bits >> 2);
	    }
	    state->bits = 0;
	    state->count = 0;
	    continue;
	}
	if ((v = base64_values[(unsigned char) data[i]]) < 0)
	    continue;
	state->bits = (state->bits << 6) | (unsigned) v;
	if (++state->count == 4) {
	    *w++ = (guint8) (state->bits >> 16);
	    *w++ = (guint8) (state->bits >> 8);
	    *w++ = (guint8) state->bits;
	    state->bits = 0;
	    state->count = 0;
	}
    }
    g_byte_array_append(out, buf, (guint) (w - buf));
}

/* base64_finish - the bytes of an unpadded last group */

void    base64_finish(BASE64_STATE *state, GByteArray *out)
{
    base64_flush(state, out);
}

/* base64_part - the whole decoded content of a base64 MIME part */

GByteArray *base64_part(GMimePart *part, size_t max)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *stream = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    GByteArray *out = g_byte_array_new();
    BASE64_STATE state;
    char   *buf;
    ssize_t n;

    if (stream == NULL)
	return (out);
    buf = g_malloc(BASE64_CHUNK);
    base64_init(&state);
    g_mime_stream_reset(stream);
    /* The result never exceeds the bound by more than one chunk's worth. */
    while (out->len <= max && (n = g_mime_stream_read(stream, buf, BASE64_CHUNK)) > 0)
	base64_step(&state, buf, (size_t) n, out);
    base64_finish(&state, out);
    g_mime_stream_reset(stream);
    g_free(buf);
    return (out);
}
