#ifndef CEPOLL_H
#define CEPOLL_H
/* Glibc's Swift module does not export <sys/epoll.h>; the load driver needs it. */
#include <sys/epoll.h>
#include <time.h>
#include <signal.h>

/* epoll_wait with a nanosecond timeout (epoll_pwait2, Linux 5.11, glibc 2.35), so the
   open-loop schedule is kept to microseconds rather than epoll_wait's milliseconds. */
static inline int cepoll_wait_ns(int epfd, struct epoll_event *events, int max, long long ns) {
    struct timespec ts = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };
    return epoll_pwait2(epfd, events, max, &ts, NULL);
}
#endif
