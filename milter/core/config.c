/*++
/* NAME
/*	config 3
/* SUMMARY
/*	the configuration file, in the OpenDKIM style
/* DESCRIPTION
/*	See config.h. Each key is one row of config_keys[]: its name, how
/*	its value is read, and where it is stored.
/*--*/

/* System library. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/un.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/config.h>

typedef enum {
    KEY_STRING, KEY_BOOL, KEY_SIZE, KEY_SECONDS, KEY_COUNT, KEY_DAYS,
    KEY_FACILITY, KEY_ACTION, KEY_MTA_COPY, KEY_NUMBER_FORMAT, KEY_TAG_FORMAT,
    KEY_HOSTS, KEY_DMARC_ACTION, KEY_SOCKET, KEY_INET_SOCKET, KEY_MODE, KEY_SPAM_HEADER, KEY_REGION,
} KEY_TYPE;

typedef struct CONFIG_KEY {
    const char *name;
    KEY_TYPE type;
    size_t  offset;			/* into CONFIG */
    int     flags;			/* REQUIRED, RESTART */
} CONFIG_KEY;

#define REQUIRED	1		/* the file must set it */
#define RESTART		2		/* read at start only: a reload keeps the old value */
#define REPEAT		4		/* may be given on several lines */

#define AT(field) offsetof(CONFIG, field)

static const CONFIG_KEY config_keys[] = {
    {"Socket", KEY_SOCKET, AT(socket), REQUIRED | RESTART},
    {"SocketMode", KEY_MODE, AT(socket_mode), RESTART},
    {"SocketGroup", KEY_STRING, AT(socket_group), RESTART},
    {"Database", KEY_STRING, AT(database), REQUIRED | RESTART},
    {"Region", KEY_REGION, AT(regions), RESTART | REPEAT},
    {"PidFile", KEY_STRING, AT(pid_file), RESTART},
    {"UserID", KEY_STRING, AT(user_id), RESTART},
    {"Syslog", KEY_BOOL, AT(syslog), RESTART},
    {"SyslogFacility", KEY_FACILITY, AT(syslog_facility), RESTART},
    {"LogVerbose", KEY_BOOL, AT(log_verbose), 0},
    {"TemporaryDirectory", KEY_STRING, AT(temp_dir), 0},
    {"MaximumMessageSize", KEY_SIZE, AT(max_message_size), 0},
    {"BodyMemoryLimit", KEY_SIZE, AT(body_memory_limit), 0},
    {"MtaCopy", KEY_MTA_COPY, AT(mta_copy), 0},
    {"RecipientDelimiter", KEY_STRING, AT(recipient_delimiter), 0},
    {"DatabaseTimeout", KEY_SECONDS, AT(database_timeout), RESTART},
    {"DatabaseConnections", KEY_COUNT, AT(database_connections), RESTART},
    {"MilterTimeout", KEY_SECONDS, AT(milter_timeout), RESTART},
    {"QueueRefresh", KEY_SECONDS, AT(queue_refresh), RESTART},
    {"On-DatabaseError", KEY_ACTION, AT(on_database_error), 0},
    {"On-InternalError", KEY_ACTION, AT(on_internal_error), 0},
    {"AuthservID", KEY_STRING, AT(authserv_id), 0},
    {"VerifySenders", KEY_BOOL, AT(verify_senders), RESTART},
    {"DNSTimeout", KEY_SECONDS, AT(dns_timeout), RESTART},
    {"DNSCacheSize", KEY_SIZE, AT(dns_cache_size), RESTART},
    {"DmarcRejectAction", KEY_DMARC_ACTION, AT(dmarc_reject_action), 0},
    {"InternalHosts", KEY_HOSTS, AT(internal_hosts), 0},
    {"PublicSuffixList", KEY_STRING, AT(public_suffix_list), RESTART},
    {"TicketNumberFormat", KEY_NUMBER_FORMAT, AT(ticket_number_format), 0},
    {"TicketTagFormat", KEY_TAG_FORMAT, AT(ticket_tag_format), 0},
    {"ReplyMarker", KEY_STRING, AT(reply_marker), 0},
    {"SpamHeader", KEY_SPAM_HEADER, AT(spam_header), 0},
    {"ReopenWindow", KEY_SECONDS, AT(reopen_window), 0},
    {"SolvedCloseDays", KEY_DAYS, AT(solved_close_days), 0},
    {"OutboxRelay", KEY_STRING, AT(outbox_relay), RESTART},
    {"OutboxMaxAttempts", KEY_COUNT, AT(outbox_max_attempts), 0},
    {"OutboxPoll", KEY_SECONDS, AT(outbox_poll), RESTART},
    {"OutboxSenders", KEY_COUNT, AT(outbox_senders), RESTART},
    {"OutboxRetryDelay", KEY_SECONDS, AT(outbox_retry_delay), 0},
    {"WebhookSenders", KEY_COUNT, AT(webhook_senders), RESTART},
    {"WebhookMaxAttempts", KEY_COUNT, AT(webhook_max_attempts), 0},
    {"WebhookRetryDelay", KEY_SECONDS, AT(webhook_retry_delay), 0},
    {"WebhookTimeout", KEY_SECONDS, AT(webhook_timeout), 0},
    {"AutoReplyPerAddressHour", KEY_COUNT, AT(autoreply_per_address_hour), 0},
    {"AutoReplyPerAddressDay", KEY_COUNT, AT(autoreply_per_address_day), 0},
    {"AutoMailPerTicketHour", KEY_COUNT, AT(automail_per_ticket_hour), 0},
    {"BounceHold", KEY_SECONDS, AT(bounce_hold), 0},
    {"MaximumRecipients", KEY_COUNT, AT(max_recipients), 0},
    {"NotifyAttachmentLimit", KEY_SIZE, AT(notify_attachment_limit), 0},
    {"MaximumMimeDepth", KEY_COUNT, AT(limits.max_depth), 0},
    {"MaximumMimeParts", KEY_COUNT, AT(limits.max_parts), 0},
    {"MaximumHeaders", KEY_COUNT, AT(limits.max_headers), 0},
    {"MaximumHeaderSize", KEY_SIZE, AT(limits.max_header_bytes), 0},
    {"MaximumDecodedSize", KEY_SIZE, AT(limits.max_decoded_bytes), 0},
    {"ApiSocket", KEY_INET_SOCKET, AT(api_socket), RESTART},
    {"ApiThreads", KEY_COUNT, AT(api_threads), RESTART},
    {"ApiMaximumBody", KEY_SIZE, AT(api_max_body), 0},
    {"ApiRequestsPerMinute", KEY_COUNT, AT(api_requests_per_minute), 0},
    {0},
};

/* The sizes with an upper bound (the others: what size_t holds). */
static const struct {
    const char *name;
    long long max;
}       size_bounds[] = {
    /* 0 attaches nothing and lists every attachment. */
    {"NotifyAttachmentLimit", 1024LL * 1024 * 1024},
    {"ApiMaximumBody", 1024LL * 1024 * 1024},
    {0},
};

static const struct {
    const char *name;
    int     value;
}       facilities[] = {
    {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {0},
};

static const char *action_names[] = {"tempfail", "accept", "reject", 0};

/* config_defaults - a configuration with every default filled in */

static CONFIG *config_defaults(const char *path)
{
    CONFIG *config = g_atomic_rc_box_new0(CONFIG);

    config->path = g_strdup(path);
    config->socket_mode = -1;
    config->syslog = 1;
    config->syslog_facility = LOG_MAIL;
    config->temp_dir = g_strdup("/tmp");
    config->max_message_size = 50 * 1024 * 1024;
    config->body_memory_limit = 1024 * 1024;
    config->mta_copy = MTA_COPY_REMOVE;
    config->recipient_delimiter = g_strdup("+");
    config->database_timeout = 20;
    config->database_connections = 20;
    config->milter_timeout = 300;
    config->queue_refresh = 60;
    config->on_database_error = ACTION_TEMPFAIL;
    config->on_internal_error = ACTION_TEMPFAIL;
    config->authserv_id = g_strdup(g_get_host_name());
    config->verify_senders = 1;
    config->dns_timeout = 5;
    config->dns_cache_size = 4 * 1024 * 1024;
    /* Mail from a customer whose domain is misconfigured is still a customer's. */
    config->dmarc_reject_action = ACTION_ACCEPT;
    config->public_suffix_list = g_strdup("/usr/share/publicsuffix/public_suffix_list.dat");
    config->ticket_number_format = g_strdup("{seq}");
    config->ticket_tag_format = g_strdup("[#NUMBER]");
    config->reopen_window = 14 * 86400;
    config->solved_close_days = 7;
    config->outbox_relay = g_strdup("127.0.0.1:25");
    config->outbox_max_attempts = 12;
    config->outbox_poll = 5;
    config->outbox_senders = 4;
    config->outbox_retry_delay = 60;
    config->webhook_senders = 2;
    config->webhook_max_attempts = 10;
    config->webhook_retry_delay = 30;
    config->webhook_timeout = 10;
    config->autoreply_per_address_hour = 5;
    config->autoreply_per_address_day = 20;
    config->automail_per_ticket_hour = 20;
    config->bounce_hold = 30 * 86400;
    config->max_recipients = 50;
    config->notify_attachment_limit = 10 * 1024 * 1024;
    mail_limits_default(&config->limits);
    /* ticket-api(8): loopback only; TLS is a reverse proxy's. */
    config->api_socket = g_strdup("inet:8080@127.0.0.1");
    config->api_threads = 16;
    config->api_max_body = 10 * 1024 * 1024;
    config->api_requests_per_minute = 600;
    /* The default region's database is Database, once the file is read. */
    config->regions = g_new0(CONFIG_REGION, 1);
    config->regions[0].name = g_strdup("default");
    config->region_count = 1;
    return (config);
}

/* parse_number - a non-negative number with an optional unit suffix */

static int parse_number(const char *value, const char *units, const long long *scale,
			        long long *result)
{
    char   *end;
    long long n;
    const char *u;

    errno = 0;
    n = strtoll(value, &end, 10);
    if (end == value || errno != 0 || n < 0)
	return (-1);
    if (*end != 0) {
	if (end[1] != 0 || (u = strchr(units, tolower((unsigned char) *end))) == NULL)
	    return (-1);
	if (n > LLONG_MAX / scale[u - units])
	    return (-1);
	n *= scale[u - units];
    }
    *result = n;
    return (0);
}

/* lookup_name - the index of a name in a null-terminated list, or -1 */

static int lookup_name(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
	if (strcasecmp(names[i], name) == 0)
	    return (i);
    return (-1);
}

/* check_number_format - digits and {seq}, {yyyy}, {mm}, {dd} only */

static int check_number_format(const char *value, TM_ERROR *why)
{
    static const char *const tokens[] = {"{seq}", "{yyyy}", "{mm}", "{dd}", 0};
    const char *p = value;
    int     has_seq = 0;

    while (*p) {
	int     i;

	for (i = 0; tokens[i]; i++)
	    if (strncmp(p, tokens[i], strlen(tokens[i])) == 0)
		break;
	if (tokens[i]) {
	    has_seq |= (i == 0);
	    p += strlen(tokens[i]);
	} else if (g_ascii_isdigit(*p)) {
	    p++;
	} else {
	    return (tm_error(why, "only digits and {seq}, {yyyy}, {mm}, {dd} may appear"
			     " (ticket numbers are digits, so subject tags can be found)"));
	}
    }
    if (!has_seq)
	return (tm_error(why, "the format must hold {seq}"));
    return (0);
}

/* config_local_socket - the path of a local: (or unix:) socket, else NULL */

const char *config_local_socket(const char *spec)
{
    if (g_str_has_prefix(spec, "local:"))
	return (spec + 6);
    if (g_str_has_prefix(spec, "unix:"))
	return (spec + 5);
    return (NULL);
}

/* check_socket - inet:PORT@HOST, inet6:PORT@HOST, local:/path or unix:/path */

static int check_socket(const char *value, TM_ERROR *why)
{
    struct sockaddr_un sun;
    const char *path = config_local_socket(value), *port, *at;
    long long n;

    if (path) {
	if (*path != '/')
	    return (tm_error(why, "a local socket needs an absolute path, as in"
			     " \"local:/run/ticket-milter/ticket-milter.sock\""));
	if (strlen(path) >= sizeof(sun.sun_path))
	    return (tm_error(why, "the socket path is longer than %zu bytes",
			     sizeof(sun.sun_path) - 1));
	return (0);
    }
    if (g_str_has_prefix(value, "inet:") || g_str_has_prefix(value, "inet6:")) {
	port = strchr(value, ':') + 1;
	at = strchr(port, '@');
	char   *digits = g_strndup(port, at ? (size_t) (at - port) : strlen(port));
	int     bad = (parse_number(digits, "", 0, &n) < 0 || n < 1 || n > 65535);

	g_free(digits);
	if (bad)
	    return (tm_error(why, "expected a port number from 1 to 65535 after \"%.*s\", got \"%s\"",
			     (int) (port - value), value, value));
	if (at && at[1] == 0)
	    return (tm_error(why, "a host or address must follow '@', as in \"%.*s127.0.0.1\"",
			     (int) (at + 1 - value), value));
	return (0);
    }
    return (tm_error(why, "expected inet:PORT@HOST, inet6:PORT@HOST or local:/path, got \"%s\"",
		     value));
}

/* add_region - a Region line: NAME CONNINFO */

static int add_region(CONFIG *config, const char *value, TM_ERROR *why)
{
    size_t  len = strcspn(value, " \t");
    const char *conninfo = value + len + strspn(value + len, " \t");
    char   *name = g_ascii_strdown(value, (gssize) len);
    CONFIG_REGION *region;

    if (len == 0 || len > 32 || !g_ascii_islower(name[0])
	|| name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-")] != 0) {
	g_free(name);
	return (tm_error(why, "a region's name is 1 to 32 lowercase letters, digits and '-',"
			 " starting with a letter, as in \"Region eu host=db-eu dbname=tickets\""));
    }
    if (config_region_find(config, name) >= 0) {
	tm_error(why, "region \"%s\" is %s", name, strcmp(name, "default") == 0 ?
		 "the Database's: choose another name" : "already defined");
	g_free(name);
	return (-1);
    }
    if (*conninfo == 0) {
	g_free(name);
	return (tm_error(why, "region \"%.*s\" needs a database after its name, as in"
			 " \"Region eu host=db-eu dbname=tickets\"", (int) len, value));
    }
    config->regions = g_renew(CONFIG_REGION, config->regions, config->region_count + 1);
    region = config->regions + config->region_count++;
    region->name = name;
    region->conninfo = g_strdup(conninfo);
    return (0);
}

/* config_set - store one value; return -1 with a reason */

static int config_set(CONFIG *config, const CONFIG_KEY *key, const char *value,
		              TM_ERROR *why)
{
    char   *field = (char *) config + key->offset;
    static const long long size_scale[] = {1024LL, 1024LL * 1024, 1024LL * 1024 * 1024};
    static const long long time_scale[] = {1, 60, 3600, 86400};
    long long n;
    int     i;

    switch (key->type) {
    case KEY_NUMBER_FORMAT:
	if (check_number_format(value, why) < 0)
	    return (-1);
	/* FALLTHROUGH */
    case KEY_TAG_FORMAT:
	if (key->type == KEY_TAG_FORMAT && strstr(value, "NUMBER") == NULL)
	    return (tm_error(why, "the format must hold NUMBER where the ticket number goes, as in \"[#NUMBER]\""));
	/* FALLTHROUGH */
    case KEY_INET_SOCKET:
	if (key->type == KEY_INET_SOCKET && config_local_socket(value))
	    return (tm_error(why, "ticket-api listens on TCP only: inet:PORT@HOST or inet6:PORT@HOST,"
			     " behind a reverse proxy (README \"API\")"));
	/* FALLTHROUGH */
    case KEY_SOCKET:
	if ((key->type == KEY_SOCKET || key->type == KEY_INET_SOCKET) && check_socket(value, why) < 0)
	    return (-1);
	/* FALLTHROUGH */
    case KEY_STRING:
	g_free(*(char **) field);
	*(char **) field = g_strdup(value);
	return (0);
    case KEY_BOOL:
	if (strchr("TtYy1", value[0]))
	    *(int *) field = 1;
	else if (strchr("FfNn0", value[0]))
	    *(int *) field = 0;
	else
	    return (tm_error(why, "expected yes or no, got \"%s\"", value));
	return (0);
    case KEY_SIZE:
	if (parse_number(value, "kmg", size_scale, &n) < 0)
	    return (tm_error(why, "expected a size in bytes (suffix k, m or g), got \"%s\"", value));
	for (i = 0; size_bounds[i].name; i++)
	    if (strcmp(size_bounds[i].name, key->name) == 0 && n > size_bounds[i].max)
		return (tm_error(why, "expected a size from 0 to %lld bytes (1g), got \"%s\"",
				 size_bounds[i].max, value));
	*(size_t *) field = (size_t) n;
	return (0);
    case KEY_SECONDS:
	if (parse_number(value, "smhd", time_scale, &n) < 0 || n < 1 || n > INT_MAX)
	    return (tm_error(why, "expected a time (seconds, or suffix s, m, h or d), got \"%s\"", value));
	*(int *) field = (int) n;
	return (0);
    case KEY_MODE:
	{
	    char   *end;
	    long    mode = strtol(value, &end, 8);

	    if (*value < '0' || *value > '7' || *end != 0 || mode > 0777)
		return (tm_error(why, "expected an octal file mode such as 0660, got \"%s\"", value));
	    *(int *) field = (int) mode;
	    return (0);
	}
    case KEY_COUNT:
	if (parse_number(value, "", 0, &n) < 0 || n < 1 || n > INT_MAX)
	    return (tm_error(why, "expected a positive whole number, got \"%s\"", value));
	*(int *) field = (int) n;
	return (0);
    case KEY_DAYS:
	/* 0 turns it off; a hundred years is as good as never. */
	if (parse_number(value, "", 0, &n) < 0 || n > 36500)
	    return (tm_error(why, "expected a number of days from 0 to 36500, got \"%s\"", value));
	*(int *) field = (int) n;
	return (0);
    case KEY_HOSTS:
	netlist_free(*(NETLIST **) field);
	if ((*(NETLIST **) field = netlist_parse(value, why)) == NULL)
	    return (-1);
	return (0);
    case KEY_DMARC_ACTION:
	if ((i = lookup_name(action_names, value)) != ACTION_ACCEPT && i != ACTION_REJECT)
	    return (tm_error(why, "expected accept or reject, got \"%s\"", value));
	*(int *) field = i;
	return (0);
    case KEY_SPAM_HEADER:
	/* A name of the parser's table (static), or none. */
	if (strcasecmp(value, "none") == 0)
	    *(const char **) field = NULL;
	else if ((*(const char **) field = mail_spam_header_name(value)) == NULL)
	    return (tm_error(why, "unknown header \"%s\": use none, X-Spam-Flag,"
			     " X-Spam-Status, X-Spam or X-Rspamd-Action", value));
	return (0);
    case KEY_REGION:
	return (add_region(config, value, why));
    case KEY_FACILITY:
	for (i = 0; facilities[i].name; i++)
	    if (strcasecmp(facilities[i].name, value) == 0) {
		*(int *) field = facilities[i].value;
		return (0);
	    }
	return (tm_error(why, "unknown syslog facility \"%s\" (mail, daemon, user, local0..local7)", value));
    case KEY_ACTION:
	if ((i = lookup_name(action_names, value)) < 0)
	    return (tm_error(why, "expected tempfail, accept or reject, got \"%s\"", value));
	*(int *) field = i;
	return (0);
    case KEY_MTA_COPY:
	if (strcasecmp(value, "remove") == 0) {
	    config->mta_copy = MTA_COPY_REMOVE;
	} else if (strcasecmp(value, "keep") == 0) {
	    config->mta_copy = MTA_COPY_KEEP;
	} else if (g_ascii_strncasecmp(value, "redirect", 8) == 0 && isspace((unsigned char) value[8])) {
	    const char *addr = g_strchug((char *) value + 8);

	    if (strchr(addr, '@') == NULL || strpbrk(addr, " \t<>"))
		return (tm_error(why, "redirect needs one address, as in \"redirect archive@example.com\""));
	    config->mta_copy = MTA_COPY_REDIRECT;
	    g_free(config->mta_copy_address);
	    config->mta_copy_address = g_strdup(addr);
	} else {
	    return (tm_error(why, "expected remove, keep or \"redirect ADDRESS\", got \"%s\"", value));
	}
	return (0);
    }
    return (tm_error(why, "internal error: unknown key type"));
}

/* config_line - handle one line; return -1 with the reason in err */

static int config_line(CONFIG *config, char *line, int lineno, int *seen, TM_ERROR *err)
{
    char   *name, *value, *hash;
    const CONFIG_KEY *key;
    TM_ERROR why;

    /* A comment starts a line or follows white space: "[#NUMBER]" is a value. */
    for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++) {
	if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
	    *hash = 0;
	    break;
	}
    }
    name = g_strstrip(line);
    if (*name == 0)
	return (0);
    value = name + strcspn(name, " \t");
    if (*value)
	*value++ = 0;
    value = g_strstrip(value);
    for (key = config_keys; key->name; key++)
	if (strcasecmp(key->name, name) == 0)
	    break;
    if (key->name == NULL)
	return (tm_error(err, "%s, line %d: %s: unknown key", config->path, lineno, name));
    if (seen[key - config_keys] && !(key->flags & REPEAT))
	return (tm_error(err, "%s, line %d: %s: already set on line %d",
			 config->path, lineno, key->name, seen[key - config_keys]));
    seen[key - config_keys] = lineno;
    if (*value == 0)
	return (tm_error(err, "%s, line %d: %s: missing value", config->path, lineno, key->name));
    if (config_set(config, key, value, &why) < 0)
	return (tm_error(err, "%s, line %d: %s: %s", config->path, lineno, key->name, why.text));
    return (0);
}

/* config_load - read a configuration file */

CONFIG *config_load(const char *path, TM_ERROR *err)
{
    CONFIG *config = config_defaults(path);
    int     seen[sizeof(config_keys) / sizeof(config_keys[0])] = {0};
    char   *line = 0;
    size_t  cap = 0;
    int     lineno = 0;
    FILE   *fp;

    if ((fp = fopen(path, "r")) == NULL) {
	tm_error(err, "%s: cannot open: %s", path, strerror(errno));
	config_free(config);
	return (NULL);
    }
    while (getline(&line, &cap, fp) >= 0) {
	if (config_line(config, line, ++lineno, seen, err) < 0) {
	    free(line);
	    fclose(fp);
	    config_free(config);
	    return (NULL);
	}
    }
    free(line);
    fclose(fp);
    config->regions[0].conninfo = g_strdup(config->database);
    for (const CONFIG_KEY *key = config_keys; key->name; key++) {
	if ((key->flags & REQUIRED) && !seen[key - config_keys]) {
	    tm_error(err, "%s: %s: required key is missing", path, key->name);
	    config_free(config);
	    return (NULL);
	}
    }
    if ((config->socket_mode >= 0 || config->socket_group)
	&& config_local_socket(config->socket) == NULL) {
	tm_error(err, "%s: %s: only a local: socket has a mode and a group (Socket is %s)",
		 path, config->socket_mode >= 0 ? "SocketMode" : "SocketGroup", config->socket);
	config_free(config);
	return (NULL);
    }
    return (config);
}

/* is_string_key - the key's value is a char * */

static int is_string_key(const CONFIG_KEY *key)
{
    return (key->type == KEY_STRING || key->type == KEY_NUMBER_FORMAT
	    || key->type == KEY_TAG_FORMAT || key->type == KEY_SOCKET
	    || key->type == KEY_INET_SOCKET);
}

/* regions_free - release a list of regions */

static void regions_free(CONFIG_REGION *regions, int count)
{
    for (int i = 0; i < count; i++) {
	g_free(regions[i].name);
	g_free(regions[i].conninfo);
    }
    g_free(regions);
}

/* regions_equal - two files' Region lines name the same databases alike
 * (regions[0] is Database's) */

static int regions_equal(const CONFIG *a, const CONFIG *b)
{
    if (a->region_count != b->region_count)
	return (0);
    for (int i = 1; i < a->region_count; i++)
	if (strcmp(a->regions[i].name, b->regions[i].name) != 0
	    || g_strcmp0(a->regions[i].conninfo, b->regions[i].conninfo) != 0)
	    return (0);
    return (1);
}

/* regions_copy - fresh gets the regions of running */

static void regions_copy(CONFIG *fresh, const CONFIG *running)
{
    regions_free(fresh->regions, fresh->region_count);
    fresh->regions = g_new0(CONFIG_REGION, running->region_count);
    for (int i = 0; i < running->region_count; i++) {
	fresh->regions[i].name = g_strdup(running->regions[i].name);
	fresh->regions[i].conninfo = g_strdup(running->regions[i].conninfo);
    }
    fresh->region_count = running->region_count;
}

/* config_clear - release what a configuration holds (its last reference went) */

static void config_clear(gpointer data)
{
    CONFIG *config = data;

    for (const CONFIG_KEY *key = config_keys; key->name; key++)
	if (is_string_key(key))
	    g_free(*(char **) ((char *) config + key->offset));
    g_free(config->mta_copy_address);
    netlist_free(config->internal_hosts);
    g_free(config->path);
    regions_free(config->regions, config->region_count);
}

/* config_ref - one more reference to a configuration */

const CONFIG *config_ref(const CONFIG *config)
{
    return (g_atomic_rc_box_acquire((CONFIG *) config));
}

/* config_free - drop a reference; the last one releases the configuration */

void    config_free(const CONFIG *config)
{
    if (config != NULL)
	g_atomic_rc_box_release_full((CONFIG *) config, config_clear);
}

/* config_keep_restart_keys - keep what only a restart may change */

int     config_keep_restart_keys(CONFIG *fresh, const CONFIG *running, GString *names)
{
    int     count = 0;

    for (const CONFIG_KEY *key = config_keys; key->name; key++) {
	char   *new_field = (char *) fresh + key->offset;
	const char *old_field = (const char *) running + key->offset;
	int     differs;

	if (!(key->flags & RESTART))
	    continue;
	if (is_string_key(key)) {
	    differs = g_strcmp0(*(char **) new_field, *(char *const *) old_field) != 0;
	    if (differs) {
		g_free(*(char **) new_field);
		*(char **) new_field = g_strdup(*(char *const *) old_field);
	    }
	} else if (key->type == KEY_REGION) {
	    if ((differs = !regions_equal(fresh, running)) != 0)
		regions_copy(fresh, running);
	} else if (key->type == KEY_SIZE) {
	    differs = *(size_t *) new_field != *(const size_t *) old_field;
	    *(size_t *) new_field = *(const size_t *) old_field;
	} else {
	    differs = *(int *) new_field != *(const int *) old_field;
	    *(int *) new_field = *(const int *) old_field;
	}
	if (differs) {
	    g_string_append_printf(names, "%s%s", count ? ", " : "", key->name);
	    count++;
	}
    }
    /* The default region's database is Database, whichever was kept. */
    g_free(fresh->regions[0].conninfo);
    fresh->regions[0].conninfo = g_strdup(fresh->database);
    return (count);
}

/* config_action_name - the config word for a failure action */

const char *config_action_name(int action)
{
    return (action_names[action]);
}

/* config_mail_options - the parser's options this configuration sets */

void    config_mail_options(const CONFIG *config, MAIL_OPTIONS *options)
{
    mail_options_default(options);
    options->tag_format = config->ticket_tag_format;
    options->reply_marker = config->reply_marker;
    options->spam_header = config->spam_header;
}

/* config_region_find - the index of a region by name, or -1 */

int     config_region_find(const CONFIG *config, const char *name)
{
    for (int i = 0; i < config->region_count; i++)
	if (strcmp(config->regions[i].name, name) == 0)
	    return (i);
    return (-1);
}
