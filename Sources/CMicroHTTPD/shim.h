#ifndef CMICROHTTPD_SHIM_H
#define CMICROHTTPD_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic, which Swift cannot call. Every option goes in
   through MHD_OPTION_ARRAY instead, terminated by an MHD_OPTION_END item. */
static inline struct MHD_Daemon *CMicroHTTPD_start(unsigned int flags, uint16_t port,
                                                   MHD_AcceptPolicyCallback accept_policy,
                                                   void *accept_policy_context,
                                                   MHD_AccessHandlerCallback handler,
                                                   void *handler_context,
                                                   struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, accept_policy, accept_policy_context, handler, handler_context,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/* MHD_get_connection_info is variadic too; only the client address is needed. */
static inline const struct sockaddr *CMicroHTTPD_client_address(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

/* The connection's socket, to shut it down (never to close it: MHD owns it). */
static inline int CMicroHTTPD_connection_fd(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* What MHD_OPTION_NOTIFY_CONNECTION's callback stored in *socket_context at STARTED. */
static inline void *CMicroHTTPD_socket_context(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The connection's GnuTLS session (a gnutls_session_t) on an MHD_USE_TLS daemon, NULL otherwise. */
static inline void *CMicroHTTPD_tls_session(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return info ? info->tls_session : NULL;
}

/* MHD_get_daemon_info is variadic; the bound port is needed for --listen :0. */
static inline uint16_t CMicroHTTPD_bound_port(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* The epoll set of an MHD_USE_EPOLL daemon without an internal thread: the worker that
   drives it watches this descriptor in its own epoll set. -1 if MHD has none. */
static inline int CMicroHTTPD_epoll_fd(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

/* Options that take a callback and its closure travel in an MHD_OptionItem with the
   function pointer cast to intptr_t in `value` and the closure in `ptr_value`. Swift
   cannot cast a C function pointer to an integer, so these build the item, typed. */
typedef void *(*CMicroHTTPD_UriLogCallback)(void *cls, const char *uri, struct MHD_Connection *connection);

static inline struct MHD_OptionItem CMicroHTTPD_option_uri_log(CMicroHTTPD_UriLogCallback callback, void *cls) {
    struct MHD_OptionItem item = { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t) callback, cls };
    return item;
}

static inline struct MHD_OptionItem CMicroHTTPD_option_notify_completed(MHD_RequestCompletedCallback callback, void *cls) {
    struct MHD_OptionItem item = { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) callback, cls };
    return item;
}

static inline struct MHD_OptionItem CMicroHTTPD_option_notify_connection(MHD_NotifyConnectionCallback callback, void *cls) {
    struct MHD_OptionItem item = { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) callback, cls };
    return item;
}

#endif
