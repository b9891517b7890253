#ifndef CEVENTPOLL_SHIM_H
#define CEVENTPOLL_SHIM_H
/* Linux's epoll and eventfd, which Swift's Glibc module leaves out. Part of the C library:
   nothing to link. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
