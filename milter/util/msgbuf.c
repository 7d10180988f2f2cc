/*++
/* NAME
/*	msgbuf 3
/* SUMMARY
/*	the bytes of one message, in memory up to a bound, then on disk
/* DESCRIPTION
/*	See msgbuf.h.
/*--*/

/* System library. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/msgbuf.h>

struct MSGBUF {
    size_t  memory_limit;
    char   *temp_dir;
    GByteArray *memory;			/* until the limit */
    int     fd;				/* then a temporary file, or -1 */
    size_t  size;			/* bytes appended */
    void   *map;			/* msgbuf_map() of the file */
};

/* msgbuf_create - an empty message buffer */

MSGBUF *msgbuf_create(size_t memory_limit, const char *temp_dir)
{
    MSGBUF *buf = g_new0(MSGBUF, 1);

    buf->memory_limit = memory_limit;
    buf->temp_dir = g_strdup(temp_dir);
    buf->memory = g_byte_array_new();
    buf->fd = -1;
    return (buf);
}

/* write_all - write every byte or fail */

static int write_all(int fd, const void *data, size_t len, TM_ERROR *err)
{
    const char *p = data;
    ssize_t n;

    while (len > 0) {
	if ((n = write(fd, p, len)) < 0) {
	    if (errno == EINTR)
		continue;
	    return (tm_error(err, "cannot write the temporary file: %s", g_strerror(errno)));
	}
	p += n;
	len -= (size_t) n;
    }
    return (0);
}

/* msgbuf_spill - move what is in memory into a new temporary file */

static int msgbuf_spill(MSGBUF *buf, TM_ERROR *err)
{
    char   *path = g_build_filename(buf->temp_dir, "ticket-milter.XXXXXX", NULL);

    if ((buf->fd = mkstemp(path)) < 0) {
	tm_error(err, "cannot create a temporary file in %s: %s",
		 buf->temp_dir, g_strerror(errno));
	g_free(path);
	return (-1);
    }
    unlink(path);
    g_free(path);
    if (write_all(buf->fd, buf->memory->data, buf->memory->len, err) < 0)
	return (-1);
    g_byte_array_set_size(buf->memory, 0);
    return (0);
}

/* msgbuf_append - add bytes at the end */

int     msgbuf_append(MSGBUF *buf, const void *data, size_t len, TM_ERROR *err)
{
    if (buf->fd < 0 && buf->size + len > buf->memory_limit
	&& msgbuf_spill(buf, err) < 0)
	return (-1);
    if (buf->fd >= 0) {
	if (write_all(buf->fd, data, len, err) < 0)
	    return (-1);
    } else {
	g_byte_array_append(buf->memory, data, (guint) len);
    }
    buf->size += len;
    return (0);
}

/* msgbuf_size - bytes appended so far */

size_t  msgbuf_size(const MSGBUF *buf)
{
    return (buf->size);
}

/* msgbuf_map - all bytes as one block */

const char *msgbuf_map(MSGBUF *buf, TM_ERROR *err)
{
    if (buf->fd < 0)
	return (buf->size ? (const char *) buf->memory->data : "");
    if (buf->map == NULL) {
	buf->map = mmap(NULL, buf->size, PROT_READ, MAP_PRIVATE, buf->fd, 0);
	if (buf->map == MAP_FAILED) {
	    buf->map = NULL;
	    tm_error(err, "cannot map the temporary file: %s", g_strerror(errno));
	    return (NULL);
	}
    }
    return (buf->map);
}

/* msgbuf_free - release memory, map and file */

void    msgbuf_free(MSGBUF *buf)
{
    if (buf == NULL)
	return;
    if (buf->map)
	munmap(buf->map, buf->size);
    if (buf->fd >= 0)
	close(buf->fd);
    g_byte_array_free(buf->memory, TRUE);
    g_free(buf->temp_dir);
    g_free(buf);
}
