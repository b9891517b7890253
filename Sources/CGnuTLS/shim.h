#ifndef CGNUTLS_SHIM_H
#define CGNUTLS_SHIM_H
/* GnuTLS, the TLS library libmicrohttpd's HTTPS is built on: the server's certificate,
   key and client-CA trust list, handed to the sessions MHD creates. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

/* gnutls_free is a macro over a function-pointer variable, which Swift cannot call. */
static inline void CGnuTLS_free(void *p) { gnutls_free(p); }
#endif
