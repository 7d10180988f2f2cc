/*++
/* NAME
/*	smtp_submit 3
/* SUMMARY
/*	hand one message to the MTA by SMTP (libcurl)
/* DESCRIPTION
/*	See smtp_submit.h. libcurl does the SMTP dialogue, dot-stuffing
/*	included; we feed it the bytes and read back the reply code.
/*	libcurl writes MAIL FROM and RCPT TO as it is given them: an
/*	address with CR LF would add SMTP commands of its own, so both
/*	are checked here, where they leave (addr_unsafe()).
/*--*/

#include <string.h>

#include <curl/curl.h>
#include <glib.h>

#include <milter/addr_check.h>
#include <milter/smtp_submit.h>

typedef struct UPLOAD {
    const char *data;
    size_t  left;
} UPLOAD;

/* upload_read - give libcurl the next piece of the message */

static size_t upload_read(char *buf, size_t size, size_t nitems, void *context)
{
    UPLOAD *up = context;
    size_t  n = size * nitems < up->left ? size * nitems : up->left;

    memcpy(buf, up->data, n);
    up->data += n;
    up->left -= n;
    return (n);
}

/* smtp_submit - send one message to one recipient through the relay */

int     smtp_submit(const char *relay, int timeout, const char *from, const char *rcpt,
		            const char *data, size_t len, int *permanent, TM_ERROR *err)
{
    CURL   *curl = curl_easy_init();
    struct curl_slist *rcpts = NULL;
    char    errbuf[CURL_ERROR_SIZE] = "";
    char   *url, *mail_from, *rcpt_to;
    UPLOAD  up = {data, len};
    CURLcode code;
    long    reply = 0;
    int     ret = 0;
    const char *why;

    *permanent = 0;
    if ((why = addr_unsafe(from)) != NULL || (why = addr_unsafe(rcpt)) != NULL) {
	char   *shown = addr_escape(addr_unsafe(from) ? from : rcpt);

	*permanent = 1;
	ret = tm_error(err, "refused to send: the %s address <%s> has %s",
		       addr_unsafe(from) ? "sender" : "recipient", shown, why);
	g_free(shown);
	curl_easy_cleanup(curl);
	return (ret);
    }
    if (curl == NULL)
	return (tm_error(err, "cannot start libcurl"));
    url = g_strdup_printf("smtp://%s", relay);
    mail_from = g_strdup_printf("<%s>", from);
    rcpt_to = g_strdup_printf("<%s>", rcpt);
    rcpts = curl_slist_append(rcpts, rcpt_to);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) timeout);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) (timeout < 10 ? timeout : 10));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
	*permanent = reply >= 500 && reply < 600;
	ret = tm_error(err, "SMTP to %s: %s%s%s", relay, curl_easy_strerror(code),
		       *errbuf ? ": " : "", errbuf);
    }
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(curl);
    g_free(url);
    g_free(mail_from);
    g_free(rcpt_to);
    return (ret);
}
