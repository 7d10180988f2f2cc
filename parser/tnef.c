/*++
/* NAME
/*	tnef 3
/* SUMMARY
/*	expand an Outlook winmail.dat into the files it carries
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	int	tnef_expand(MAIL *mail, const unsigned char *data, size_t len)
/* DESCRIPTION
/*	tnef_expand() reads a TNEF stream with libytnef and adds each file
/*	attachment it carries to mail with origin "tnef": its long file
/*	name (PR_ATTACH_LONG_FILENAME, 8-bit or Unicode) or else its title,
/*	a type guessed by GIO from name and content (TNEF carries none;
/*	application/octet-stream when GIO has no MIME database), and its
/*	bytes (the attachment data attribute, else PR_ATTACH_DATA_OBJ).
/*	The message body that TNEF may carry (RTF) is not extracted; the
/*	MIME body next to winmail.dat is the text a help desk uses.
/*
/*	libytnef is old C code reading hostile bytes: it has had memory
/*	safety bugs, some upstream versions call exit() on malformed
/*	streams, and it prints on stdout. It therefore runs in a child
/*	process that works on the winmail.dat alone: the child sends the
/*	files back over a pipe and _exit()s; a child that dies, hangs
/*	(killed after TNEF_SECONDS) or sends more than the stream could
/*	hold counts as an unreadable stream. winmail.dat is rare; the fork
/*	is paid only for it.
/*
/*	The child is confined before it reads a byte: every descriptor it
/*	inherited (database connections, the MTA's sockets, the spool) is
/*	closed but its pipe, now descriptor 3, with stdin, stdout and
/*	stderr on /dev/null; PR_SET_NO_NEW_PRIVS is set; and a seccomp
/*	filter (libseccomp) lets through only what libytnef and malloc
/*	need: write to the pipe and to /dev/null, fstat and the terminal
/*	check of stdio on stdout, brk, mmap, munmap, mremap, madvise,
/*	futex and exit. Any other system call (socket, open, execve...)
/*	kills the child, which the parent sees as an unreadable stream.
/*	tnef_test_hook, for tests only, is called in the child with 0 once
/*	the descriptors are closed, and with 1 once it is confined, before
/*	the stream is parsed.
/* DIAGNOSTICS
/*	tnef_expand() returns -1 when the stream is not TNEF, libytnef
/*	rejects it or its process fails, and adds nothing then; 0
/*	otherwise.
/*--*/

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>				/* ytnef.h needs FILE */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* External libraries. */
#include <seccomp.h>
#include <gio/gio.h>
#include <ytnef.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define TNEF_SECONDS	10		/* wall clock for the child */
#define TNEF_PIPE_FD	3		/* the child's pipe, after confinement */

void    (*tnef_test_hook) (int);

/* Name kinds in the child's records. */
#define TNEF_NAME_NONE	0
#define TNEF_NAME_UTF8	1		/* Unicode property, UTF-8 by libytnef */
#define TNEF_NAME_8BIT	2		/* sender's code page */

/*
 * Child to parent, one record per file: kind byte 1, name kind byte,
 * uint32 name length, name, uint64 data length, data. A kind byte 0 ends
 * a complete stream; without it the parent discards what it got.
 */
typedef struct TNEF_FILE {
    int     name_kind;
    const unsigned char *name;
    uint32_t name_len;
    const unsigned char *data;
    uint64_t data_len;
} TNEF_FILE;

/* tnef_type - a MIME type guessed from the name and bytes */

static char *tnef_type(const char *name, GByteArray *bytes)
{
    char   *guess = g_content_type_guess(name, bytes->data, MIN(bytes->len, 4096), NULL);
    char   *type = g_content_type_get_mime_type(guess);

    g_free(guess);
    /* Without a MIME database GIO says so; keep the neutral type then. */
    if (type == NULL || strchr(type, '/') == NULL) {
	g_free(type);
	type = g_strdup("application/octet-stream");
    }
    return (type);
}

/* tnef_write_all - write all bytes or _exit (child only) */

static void tnef_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
	ssize_t n = write(fd, p, len);

	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    _exit(3);
	p += n;
	len -= n;
    }
}

/* tnef_child_name - the name of one attachment as libytnef has it */

static void tnef_child_name(Attachment *att, TNEF_FILE *f)
{
    variableLength *v;

    f->name_kind = TNEF_NAME_NONE;
    if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_UNICODE, PR_ATTACH_LONG_FILENAME)))
	!= MAPI_UNDEFINED && v->size > 0 && v->data != NULL && v->data[0]) {
	f->name_kind = TNEF_NAME_UTF8;
    } else {
	if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME)))
	    == MAPI_UNDEFINED || v->size <= 0 || v->data == NULL)
	    v = &att->Title;
	if (v->size > 0 && v->data != NULL)
	    f->name_kind = TNEF_NAME_8BIT;
    }
    if (f->name_kind != TNEF_NAME_NONE) {
	f->name = v->data;
	f->name_len = strnlen((const char *) v->data, v->size);
    }
}

/* tnef_child_data - the bytes of one attachment as libytnef has it */

static void tnef_child_data(Attachment *att, TNEF_FILE *f)
{
    variableLength *v = &att->FileData;
    int     skip = 0;

    f->data = NULL;
    f->data_len = 0;
    /* The attachment data attribute is the file; the MAPI property is a
     * fallback (and, as an object, starts with a 16-byte GUID). */
    if (v->data == NULL || v->size <= 0) {
	if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ)))
	    != MAPI_UNDEFINED)
	    skip = 16;
	else if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_BINARY, PR_ATTACH_DATA_OBJ)))
		 == MAPI_UNDEFINED)
	    return;
    }
    if (v->data != NULL && v->size > skip) {
	f->data = v->data + skip;
	f->data_len = v->size - skip;
    }
}

/* tnef_close_from - close every descriptor from lowest on */

static void tnef_close_from(int lowest)
{
    struct rlimit rl;
    DIR    *dir;
    struct dirent *de;

#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned) lowest, ~0U, 0) == 0)
	return;
#endif
    /* An older kernel: the open ones, as /proc lists them. */
    if ((dir = opendir("/proc/self/fd")) != NULL) {
	int     dfd = dirfd(dir);

	while ((de = readdir(dir)) != NULL) {
	    int     fd = atoi(de->d_name);

	    if (fd >= lowest && fd != dfd)
		close(fd);
	}
	closedir(dir);
	return;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
	rl.rlim_cur = 65536;
    for (int fd = lowest; fd < (int) rl.rlim_cur; fd++)
	close(fd);
}

/* tnef_seccomp - allow only what parsing and sending back need */

static int tnef_seccomp(void)
{
    static const int plain[] = {
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),		/* AddressSanitizer, at _exit() */
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int     ret = 0;

    if (ctx == NULL)
	return (-1);
    for (size_t i = 0; ret == 0 && i < sizeof(plain) / sizeof(plain[0]); i++)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
    /* The pipe, and stdout (/dev/null), where libytnef prints. */
    if (ret == 0)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
			       SCMP_A0(SCMP_CMP_EQ, TNEF_PIPE_FD, 0));
    if (ret == 0)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 1, 0));
    /* stdio looks at stdout before its first printf. */
    if (ret == 0)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fstat), 1, SCMP_A0(SCMP_CMP_EQ, 1, 0));
    if (ret == 0)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1, SCMP_A0(SCMP_CMP_EQ, 1, 0));
    if (ret == 0)
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
			       SCMP_A0(SCMP_CMP_EQ, 1, 0), SCMP_A1(SCMP_CMP_EQ, TCGETS, 0));
    if (ret == 0)
	ret = seccomp_load(ctx);
    seccomp_release(ctx);
    return (ret);
}

/* tnef_confine - the child keeps its pipe and nothing else */

static void tnef_confine(int out)
{
    int     null = open("/dev/null", O_RDWR);

    /* libytnef prints its complaints on stdout. */
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
	_exit(4);
    if (out != TNEF_PIPE_FD && dup2(out, TNEF_PIPE_FD) < 0)
	_exit(4);
    tnef_close_from(TNEF_PIPE_FD + 1);
    if (tnef_test_hook)
	tnef_test_hook(0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || tnef_seccomp() < 0)
	_exit(4);
}

/* tnef_child - parse in the child and send the files; never returns */

static void tnef_child(int out, const unsigned char *data, size_t len)
{
    TNEFStruct tnef;

    /* The program's own SIGALRM handler must not run here. */
    signal(SIGALRM, SIG_DFL);
    alarm(TNEF_SECONDS);
    tnef_confine(out);
    out = TNEF_PIPE_FD;
    if (tnef_test_hook)
	tnef_test_hook(1);
    TNEFInitialize(&tnef);
    tnef.Debug = 0;
    if (TNEFParseMemory((BYTE *) data, (long) len, &tnef) < 0)
	_exit(2);
    for (Attachment *att = tnef.starting_attach.next; att != NULL; att = att->next) {
	TNEF_FILE f;
	unsigned char kind = 1, name_kind;

	tnef_child_name(att, &f);
	tnef_child_data(att, &f);
	if (f.name_kind == TNEF_NAME_NONE && f.data_len == 0)
	    continue;
	name_kind = (unsigned char) f.name_kind;
	tnef_write_all(out, &kind, 1);
	tnef_write_all(out, &name_kind, 1);
	if (f.name_kind == TNEF_NAME_NONE)
	    f.name_len = 0;
	tnef_write_all(out, &f.name_len, sizeof(f.name_len));
	tnef_write_all(out, f.name, f.name_len);
	tnef_write_all(out, &f.data_len, sizeof(f.data_len));
	tnef_write_all(out, f.data, f.data_len);
    }
    {
	unsigned char end = 0;

	tnef_write_all(out, &end, 1);
    }
    _exit(0);
}

/* tnef_run - run the child; its output in *out, 0 when it completed */

static int tnef_run(const unsigned char *data, size_t len, size_t limit, GByteArray *out)
{
    int     fd[2];
    pid_t   pid;
    int     status = 0;
    int     over = 0;
    char    buf[65536];
    ssize_t n;

    if (pipe(fd) < 0)
	return (-1);
    if ((pid = fork()) < 0) {
	close(fd[0]);
	close(fd[1]);
	return (-1);
    }
    if (pid == 0) {
	close(fd[0]);
	tnef_child(fd[1], data, len);
    }
    close(fd[1]);
    while ((n = read(fd[0], buf, sizeof(buf))) != 0) {
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    break;
	}
	if (out->len + (size_t) n > limit) {
	    over = 1;
	    kill(pid, SIGKILL);
	    break;
	}
	g_byte_array_append(out, (guint8 *) buf, (guint) n);
    }
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0) {
	if (errno != EINTR) {
	    /* SIGCHLD ignored by the program: trust the end record alone. */
	    status = 0;
	    break;
	}
    }
    if (over || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
	return (-1);
    return (0);
}

/* tnef_take - copy n bytes from a record stream, or fail */

static int tnef_take(const guint8 **p, const guint8 *end, void *dst, size_t n)
{
    if ((size_t) (end - *p) < n)
	return (-1);
    memcpy(dst, *p, n);
    *p += n;
    return (0);
}

/* tnef_expand - add the files inside a winmail.dat */

int     tnef_expand(MAIL *mail, const unsigned char *data, size_t len)
{
    GByteArray *out;
    const guint8 *p, *end;
    GPtrArray *files;
    int     complete = 0;

    if (len < 6 || len > G_MAXINT32)
	return (-1);
    out = g_byte_array_new();
    /* The files come out of the stream: they cannot be much larger. */
    if (tnef_run(data, len, 2 * len + 65536, out) < 0) {
	g_byte_array_free(out, TRUE);
	return (-1);
    }
    /* Check the whole stream before adding anything. */
    files = g_ptr_array_new_with_free_func(g_free);
    p = out->data;
    end = out->data + out->len;
    while (p < end) {
	TNEF_FILE *f = g_new0(TNEF_FILE, 1);
	unsigned char kind, name_kind;

	g_ptr_array_add(files, f);
	if (tnef_take(&p, end, &kind, 1) < 0)
	    break;
	if (kind == 0) {
	    complete = (p == end);
	    g_ptr_array_remove_index(files, files->len - 1);
	    break;
	}
	if (tnef_take(&p, end, &name_kind, 1) < 0
	    || tnef_take(&p, end, &f->name_len, sizeof(f->name_len)) < 0
	    || (size_t) (end - p) < f->name_len)
	    break;
	f->name_kind = name_kind;
	f->name = p;
	p += f->name_len;
	if (tnef_take(&p, end, &f->data_len, sizeof(f->data_len)) < 0
	    || (uint64_t) (end - p) < f->data_len)
	    break;
	f->data = p;
	p += f->data_len;
    }
    if (complete) {
	for (guint i = 0; i < files->len; i++) {
	    TNEF_FILE *f = g_ptr_array_index(files, i);
	    GByteArray *bytes = g_byte_array_sized_new((guint) f->data_len);
	    char   *name = NULL;
	    char   *type;
	    int     truncated;

	    if (f->name_kind == TNEF_NAME_UTF8)
		name = charset_clean_utf8((const char *) f->name, f->name_len, NULL);
	    else if (f->name_kind == TNEF_NAME_8BIT)
		/* 8-bit names are in the sender's code page; windows-1252 is usual. */
		name = charset_to_utf8((const char *) f->name, f->name_len, NULL, NULL);
	    g_byte_array_append(bytes, f->data, (guint) f->data_len);
	    truncated = attachment_budget(mail, bytes);
	    type = tnef_type(name, bytes);
	    attachment_add(mail, name, type, "attachment", NULL, "tnef", bytes, truncated);
	    g_free(type);
	    g_free(name);
	}
    }
    g_ptr_array_free(files, TRUE);
    g_byte_array_free(out, TRUE);
    return (complete ? 0 : -1);
}
