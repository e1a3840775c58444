// Linked only when libpq is linked statically (see Package.swift). Debian's libpq.a is built
// with GSSAPI and LDAP, whose shared libraries (krb5, ldap, gnutls, sasl, ...) cost a CGI process
// about 5 ms to load on every request. We use neither: password/SCRAM auth over a Unix socket
// or TLS. These stand-ins make libpq see "no GSSAPI credentials" (it falls back to plain auth)
// and fail LDAP service lookups with a clear message.
#include <stddef.h>

typedef unsigned int OM_uint32;
#define GSS_S_FAILURE (13u << 16)

void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

#define GSS_UNAVAILABLE(name) \
    OM_uint32 name(void) { return GSS_S_FAILURE; }
GSS_UNAVAILABLE(gss_acquire_cred)
GSS_UNAVAILABLE(gss_delete_sec_context)
GSS_UNAVAILABLE(gss_display_status)
GSS_UNAVAILABLE(gss_import_name)
GSS_UNAVAILABLE(gss_init_sec_context)
GSS_UNAVAILABLE(gss_release_buffer)
GSS_UNAVAILABLE(gss_release_cred)
GSS_UNAVAILABLE(gss_release_name)
GSS_UNAVAILABLE(gss_unwrap)
GSS_UNAVAILABLE(gss_wrap)
GSS_UNAVAILABLE(gss_wrap_size_limit)

void *ldap_init(void) { return NULL; }
int ldap_count_entries(void) { return 0; }
char *ldap_err2string(void) { return "LDAP service lookups are not supported"; }
void *ldap_first_entry(void) { return NULL; }
void *ldap_get_values_len(void) { return NULL; }
int ldap_msgfree(void) { return 0; }
int ldap_result(void) { return -1; }
int ldap_search_st(void) { return -1; }
int ldap_set_option(void) { return -1; }
int ldap_simple_bind(void) { return -1; }
int ldap_unbind(void) { return -1; }
void ldap_value_free_len(void) {}
