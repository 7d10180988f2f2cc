/*++
/* NAME
/*	ctl_attachment 3
/* SUMMARY
/*	ticketctl attachment: one stored attachment's bytes
/* SYNOPSIS
/*	ticketctl attachment get ID -o FILE
/* DESCRIPTION
/*	ID is the attachment's number, as a notification that could not
/*	carry it names it (NotifyAttachmentLimit), and as message show
/*	--json lists it ("id"). attachment get writes its decoded bytes,
/*	exactly as stored, to FILE ("-": standard output). FILE is
/*	created with mode 0600 and must not exist yet: an attachment is
/*	a customer's data, and a typo must not overwrite another file.
/*--*/

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define ATTACHMENT_USAGE "attachment get ID -o FILE"

/* write_all - every byte to fd; 0 or -1 with errno */

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
	ssize_t n = write(fd, data, len);

	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0)
	    return (-1);
	data += n;
	len -= (size_t) n;
    }
    return (0);
}

/* attachment_get - write one attachment's bytes to a new file */

static int attachment_get(PGconn *conn, int argc, char **argv)
{
    const char *file = ctl_option(&argc, argv, "-o");
    const char *params[1];
    PGresult *res;
    int     fd, status = 0;

    if (argc != 3 || file == NULL)
	return (ctl_usage(ATTACHMENT_USAGE));
    if (*argv[2] == 0 || strspn(argv[2], "0123456789") != strlen(argv[2]) || strlen(argv[2]) > 18)
	return (ctl_fail("\"%s\" is not an attachment number", argv[2]));
    params[0] = argv[2];
    res = PQexecParams(conn, "SELECT b.content, a.filename FROM attachments a"
		       " JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1::bigint",
		       1, 0, params, 0, 0, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0) {
	status = PQresultStatus(res) != PGRES_TUPLES_OK
	    ? ctl_fail("%s", PQresultErrorMessage(res))
	    : ctl_fail("no attachment %s (a notification names it, or message show --json)", argv[2]);
	PQclear(res);
	return (status);
    }
    ctl_audit(conn, "attachment get", "attachment", argv[2], NULL);
    fd = strcmp(file, "-") == 0 ? STDOUT_FILENO : open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
	status = ctl_fail("%s: %s", file, strerror(errno));
    else if (write_all(fd, PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0)) < 0
	     || (fd != STDOUT_FILENO && close(fd) < 0))
	status = ctl_fail("%s: %s", file, strerror(errno));
    else if (fd != STDOUT_FILENO)
	fprintf(stderr, "attachment %s: %d bytes written to %s\n", argv[2], PQgetlength(res, 0, 0), file);
    PQclear(res);
    return (status);
}

const char ctl_attachment_usage[] = ATTACHMENT_USAGE;

/* ctl_attachment - dispatch "attachment" subcommands */

int     ctl_attachment(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "get") == 0)
	return (attachment_get(conn, argc, argv));
    return (ctl_usage(ATTACHMENT_USAGE));
}
