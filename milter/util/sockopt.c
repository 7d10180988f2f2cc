/*++
/* NAME
/*	sockopt 3
/* SUMMARY
/*	socket options for the MTA connections libmilter accepts
/* DESCRIPTION
/*	See sockopt.h.
/*--*/

/* System library. */
#include <dirent.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Utility library. */
#include <milter/util/log.h>
#include <milter/util/sockopt.h>

/* is_tcp_listener - a listening IPv4 or IPv6 stream socket */

static int is_tcp_listener(int fd)
{
    int     listening = 0, domain = 0, type = 0;
    socklen_t len = sizeof(int);

    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
	return (0);
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
	return (0);
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
	return (0);
    return ((domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM);
}

/* sockopt_no_delay - TCP_NODELAY on the listening sockets, for what they accept */

void    sockopt_no_delay(void)
{
    DIR    *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    int     on = 1;

    if (dir == NULL)
	return;
    while ((entry = readdir(dir)) != NULL) {
	int     fd = atoi(entry->d_name);

	if (entry->d_name[0] == '.' || fd == dirfd(dir) || !is_tcp_listener(fd))
	    continue;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
	    msg_warn("cannot set TCP_NODELAY on the milter socket: replies may wait 40 ms");
    }
    closedir(dir);
}
