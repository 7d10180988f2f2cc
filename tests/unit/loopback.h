/* loopback.h - for unit tests with a scripted server: a listening
 * socket on a free loopback port. Include after cmocka.h. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* loopback_listen - a socket listening on 127.0.0.1; its port in *port */

static int loopback_listen(int *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int     fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return (fd);
}
