#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic macros-over-functions,
   which Swift cannot call: one typed wrapper per argument kind. */
static inline CURLcode CCurl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_write(CURL *h, CURLoption o, curl_write_callback v) { return curl_easy_setopt(h, o, v); }
/* CURLOPT_POSTFIELDSIZE_LARGE takes a curl_off_t; passing it through the `long` wrapper
   would only be right where long is 64 bits, so it gets its own. */
static inline CURLcode CCurl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
/* curl_multi_setopt is variadic too: the socket and timer callbacks of the socket interface,
   each with the pointer libcurl hands back to it. */
static inline CURLMcode CCurl_multi_socket_callback(CURLM *m, curl_socket_callback f, void *data) {
    CURLMcode rc = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
    return rc != CURLM_OK ? rc : curl_multi_setopt(m, CURLMOPT_SOCKETDATA, data);
}
static inline CURLMcode CCurl_multi_timer_callback(CURLM *m, curl_multi_timer_callback f, void *data) {
    CURLMcode rc = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
    return rc != CURLM_OK ? rc : curl_multi_setopt(m, CURLMOPT_TIMERDATA, data);
}
#endif
