/*++
/* NAME
/*	bind_source 3
/* SUMMARY
/*	give a load generator a source address of its own: LD_PRELOAD shim
/* SYNOPSIS
/*	BIND_SOURCE=192.0.2.10 LD_PRELOAD=bind_source.so smtp-source ...
/* DESCRIPTION
/*	Postfix's smtp-source has no option for its source address. This
/*	shim binds every IPv4 socket that the program connects, and that is
/*	not bound yet, to the address in BIND_SOURCE (port 0: any) before
/*	the real connect(). With an address on the loopback of the
/*	benchmark's network namespace, the SMTP client is not 127.0.0.1:
/*	the milter evaluates SPF for that address as for a real client.
/*	Without BIND_SOURCE, or for other sockets, connect() is unchanged.
/*--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn) (int, const struct sockaddr *, socklen_t);

/* bind_first - bind an unbound IPv4 socket to BIND_SOURCE, port 0 */
static void bind_first(int fd, const struct sockaddr *to)
{
    const char *src = getenv("BIND_SOURCE");
    struct sockaddr_in me;
    socklen_t len = sizeof(me);

    if (src == 0 || to->sa_family != AF_INET)
	return;
    if (getsockname(fd, (struct sockaddr *) &me, &len) == 0 && me.sin_port != 0)
	return;
    memset(&me, 0, sizeof(me));
    me.sin_family = AF_INET;
    if (inet_pton(AF_INET, src, &me.sin_addr) != 1)
	return;
    (void) bind(fd, (struct sockaddr *) &me, sizeof(me));
}

/* connect - the libc connect(), after bind_first() */
int     connect(int fd, const struct sockaddr *to, socklen_t len)
{
    static connect_fn real;

    if (real == 0)
	real = (connect_fn) dlsym(RTLD_NEXT, "connect");
    bind_first(fd, to);
    return (real(fd, to, len));
}
