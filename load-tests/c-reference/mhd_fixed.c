/* The physical reference for credvend's HTTP numbers: libmicrohttpd in the same
 * mode as credvend serve (MHD_USE_EPOLL_INTERNAL_THREAD + a thread pool of the
 * same size), answering every request, whatever its body, with one fixed
 * 200 JSON body of the given size and the headers credvend sends.
 *
 *   mhd_fixed PORT BODY_BYTES [THREADS]      (loopback only; prints "listening on")
 *
 * Stops on SIGTERM/SIGINT. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static char *body;
static size_t body_len;
static volatile sig_atomic_t stop;

static void on_signal(int s) { (void)s; stop = 1; }

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)cls; (void)url; (void)method; (void)version; (void)upload;
    if (*state == NULL) { *state = (void *)1; return MHD_YES; }    /* headers in */
    if (*upload_size > 0) { *upload_size = 0; return MHD_YES; }    /* body chunk: read and drop */
    struct MHD_Response *r = MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s PORT BODY_BYTES [THREADS]\n", argv[0]); return 2; }
    int port = atoi(argv[1]);
    body_len = (size_t)atol(argv[2]);
    unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    body = malloc(body_len + 1);
    /* {"Version":1,"AccessKeyId":"xxxx..."} padded to exactly body_len bytes */
    const char *head = "{\"Version\":1,\"AccessKeyId\":\"";
    size_t h = strlen(head);
    if (body_len < h + 2) { fprintf(stderr, "BODY_BYTES too small\n"); return 2; }
    memcpy(body, head, h);
    memset(body + h, 'x', body_len - h - 2);
    memcpy(body + body_len - 2, "\"}", 2);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) { fprintf(stderr, "MHD_start_daemon failed\n"); return 1; }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on 127.0.0.1:%u\n", info ? info->port : (unsigned)port);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop) pause();
    MHD_stop_daemon(d);
    free(body);
    return 0;
}
