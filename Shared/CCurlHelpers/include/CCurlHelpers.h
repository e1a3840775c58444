// Non-variadic wrappers around libcurl's variadic curl_easy_setopt/curl_easy_getinfo, which
// Swift cannot call. One wrapper per argument type; the option decides the meaning.
#ifndef LMS_CCURL_HELPERS_H
#define LMS_CCURL_HELPERS_H

#include <curl/curl.h>

/// An option that takes a `long` (CURLOPT_TIMEOUT, CURLOPT_POSTFIELDSIZE, CURLOPT_NOSIGNAL, ...).
CURLcode lms_curl_setopt_long(CURL *curl, CURLoption option, long value);

/// An option that takes a C string (CURLOPT_URL, CURLOPT_CUSTOMREQUEST, ...); libcurl copies it.
CURLcode lms_curl_setopt_string(CURL *curl, CURLoption option, const char *value);

/// An option that takes a data pointer (CURLOPT_WRITEDATA, CURLOPT_ERRORBUFFER,
/// CURLOPT_COPYPOSTFIELDS, ...).
CURLcode lms_curl_setopt_pointer(CURL *curl, CURLoption option, void *value);

/// An option that takes a string list (CURLOPT_HTTPHEADER, CURLOPT_MAIL_RCPT, ...). The list
/// must outlive the transfer.
CURLcode lms_curl_setopt_slist(CURL *curl, CURLoption option, struct curl_slist *list);

/// CURLOPT_WRITEFUNCTION or CURLOPT_HEADERFUNCTION (both have the write-callback signature).
CURLcode lms_curl_setopt_write_callback(CURL *curl, CURLoption option, curl_write_callback callback);

/// CURLOPT_READFUNCTION (uploads, SMTP message bodies).
CURLcode lms_curl_setopt_read_callback(CURL *curl, CURLoption option, curl_read_callback callback);

/// A `long` transfer detail (CURLINFO_RESPONSE_CODE, ...).
CURLcode lms_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);

#endif
