/*++
/* NAME
/*	http_post 3
/* SUMMARY
/*	POST a body to an http(s) URL (libcurl)
/* DESCRIPTION
/*	See http_post.h. One easy handle a call: webhook receivers are
/*	many and rarely posted to twice within a second, so a connection
/*	kept open would mostly wait for nothing.
/*--*/

/* External libraries. */
#include <curl/curl.h>
#include <glib.h>

/* Utility library. */
#include <milter/util/http_post.h>

/* answer_read - count the answer's body; libcurl gets an error past the cap */

static size_t answer_read(char *data, size_t size, size_t nmemb, void *context)
{
    size_t *got = context;

    (void) data;
    *got += size * nmemb;
    return (*got > HTTP_POST_BODY_MAX ? 0 : size * nmemb);
}

/* http_post - one POST; 0 and the status when an answer came */

int     http_post(const char *url, const char *const *headers, const char *body, size_t len,
		          int timeout, long *status, TM_ERROR *err)
{
    struct curl_slist *list = NULL;
    char    errbuf[CURL_ERROR_SIZE] = "";
    size_t  got = 0;
    CURL   *curl;
    CURLcode code;
    int     ret = 0;

    *status = 0;
    if (!g_str_has_prefix(url, "http://") && !g_str_has_prefix(url, "https://"))
	return (tm_error(err, "not an http or https URL"));
    if ((curl = curl_easy_init()) == NULL)
	return (tm_error(err, "cannot start libcurl"));
    for (int i = 0; headers && headers[i]; i++)
	list = curl_slist_append(list, headers[i]);
    /* No "Expect: 100-continue" round trip before the body. */
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_read);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) timeout);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) (timeout < 10 ? timeout : 10));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ticket-milter-webhook");
    code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    /* An answer whose body went past the cap still answered. */
    if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && *status > 0))
	ret = tm_error(err, "%s%s%s", curl_easy_strerror(code), *errbuf ? ": " : "", errbuf);
    curl_easy_cleanup(curl);
    curl_slist_free_all(list);
    return (ret);
}
