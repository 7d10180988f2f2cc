/*++
/* NAME
/*	reply_strip 3
/* SUMMARY
/*	the new text of a reply, without quoted history and signature;
/*	an agent's commands at its top
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*reply_strip(const char *text, const char *marker)
/*
/*	MAIL_COMMANDS *mail_commands(const char *reply_text)
/*
/*	void	mail_commands_free(MAIL_COMMANDS *commands)
/* DESCRIPTION
/*	mail_commands() is described in mail.h. A command line is one
/*	line of the reply text; what follows the last one (after blank
/*	lines) is the answer.
/*
/*	reply_strip() returns text cut at the first line that starts the
/*	quoted history or the signature:
/* .IP \(bu
/*	a line containing marker (a site's "reply above this line"; may
/*	be null), matched case-insensitively;
/* .IP \(bu
/*	an attribution line "On ... wrote:" in English, German, French,
/*	Spanish, Portuguese, Dutch, Italian, Polish, Russian, Japanese,
/*	Chinese and a few more, also when the client wrapped it over two
/*	lines (Gmail, Apple Mail, Thunderbird);
/* .IP \(bu
/*	"-----Original Message-----" and its translations, and Outlook's
/*	header block: a "From:" line followed within four lines by
/*	"Sent:" or "Date:" (in the common languages);
/* .IP \(bu
/*	the signature separator "-- " and the stock mobile signatures
/*	("Sent from my iPhone", ...).
/* .PP
/*	When no new text stands above the history, the answer was written
/*	below it: then the quoted lines and the attribution are dropped
/*	and the rest is cut the same way.
/*	Quoted lines ('>') and ruler lines ("-----") at the end are removed; quoted lines between
/*	new text (an interleaved answer) are kept, they give the answer
/*	its context. Leading and trailing blank lines are removed.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define REPLY_MAX_ATTRIBUTION	400	/* longer lines are text, not headers */

/* Words that end an attribution line, before the colon. */
static const char *const reply_wrote[] = {
    "wrote", "writes", "schrieb", "a écrit", "escribió", "escreveu",
    "schreef", "ha scritto", "scrisse", "napisał", "napisała", "napisał(a)",
    "написал", "написала", "написал(а)", "skrev", "kirjoitti", "írta",
    "napsal", "yazdı", "έγραψε", "書きました", "写道", "寫道", "작성",
    "kirjutas", "rašė", "rakstīja", "scrie", "je napisal", "wrote on",
    NULL,
};

/* Words that start an attribution line. */
static const char *const reply_on[] = {
    "On ", "Am ", "Le ", "El ", "Em ", "Op ", "Il ", "W dniu ", "Dnia ",
    "В ", "Den ", "On\xC2\xA0", "Le\xC2\xA0", "Quoting ", "Zitat von ",
    NULL,
};

/* Separator lines of Outlook, Lotus, Thunderbird and friends. */
static const char *const reply_separators[] = {
    "-----Original Message-----", "----- Original Message -----",
    "-----Ursprüngliche Nachricht-----", "-----Message d'origine-----",
    "-------- Message original --------", "-------- Original Message --------",
    "-------- Original-Nachricht --------", "-----Mensaje original-----",
    "-----Mensagem original-----", "-----Oorspronkelijk bericht-----",
    "-----Messaggio originale-----", "-----Oryginalna wiadomość-----",
    "-----Исходное сообщение-----", "-----Original Nachricht-----",
    "________________________________",
    NULL,
};

/* Outlook header block: first line, then one of the second. */
static const char *const reply_from[] = {
    "From:", "*From:*", "Von:", "De :", "De:", "Da:", "Od:", "Van:", "Från:",
    "Fra:", "От:", "Lähettäjä:", "差出人:", "发件人:", "寄件者:", "送信者:",
    NULL,
};
static const char *const reply_sent[] = {
    "Sent:", "*Sent:*", "Date:", "Gesendet:", "Datum:", "Envoyé :", "Envoyé:",
    "Date :", "Enviado:", "Enviado el:", "Fecha:", "Data:", "Inviato:",
    "Verzonden:", "Wysłano:", "Отправлено:", "Дата:", "Skickat:", "Sendt:",
    "送信日時:", "发送时间:", "日期:", "寄件日期:", "Lähetetty:",
    NULL,
};

/* Stock signatures of mobile clients, matched at the start of a line. */
static const char *const reply_mobile[] = {
    "Sent from my ", "Sent from Mail for Windows", "Sent from Outlook",
    "Get Outlook for ", "Von meinem ", "Gesendet von meinem ",
    "Envoyé de mon ", "Enviado desde mi ", "Enviado do meu ",
    "Verzonden vanaf mijn ", "Inviato da ", "Wysłane z ",
    "Отправлено с ", "Sent with ",
    NULL,
};

/* ascii_lower - one byte in ASCII lower case (g_ascii_tolower, inlined) */

static inline char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c);
}

/* reply_starts - does line start with one of the words (ASCII case) */

static int reply_starts(const char *line, const char *const *words)
{
    for (; *words; words++)
	/* The first byte rules out most words without measuring them. */
	if (ascii_lower(*line) == ascii_lower(**words)
	    && g_ascii_strncasecmp(line, *words, strlen(*words)) == 0)
	    return (1);
    return (0);
}

/* reply_ends_wrote - does line end with an attribution verb and colon */

static int reply_ends_wrote(const char *line)
{
    size_t  len = strlen(line);

    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
	len--;
    if (len > 0 && line[len - 1] == ':')
	len--;
    else if (len >= 3 && memcmp(line + len - 3, "\xEF\xBC\x9A", 3) == 0)
	len -= 3;				/* full-width colon */
    else
	return (0);
    while (len > 0 && line[len - 1] == ' ')
	len--;
    for (const char *const *wp = reply_wrote; *wp; wp++) {
	size_t  n = strlen(*wp);

	if (len >= n && g_ascii_strncasecmp(line + len - n, *wp, n) == 0)
	    return (1);
    }
    return (0);
}

/* reply_has_wrote - does line contain an attribution verb as a word */

static int reply_has_wrote(const char *line)
{
    for (const char *const *wp = reply_wrote; *wp; wp++) {
	const char *hit = strcasestr(line, *wp);

	if (hit && hit > line && hit[-1] == ' ' && hit[strlen(*wp)] == ' ')
	    return (1);
    }
    return (0);
}

/* reply_unquoted - a line with leading blanks skipped */

static const char *reply_unquoted(const char *line)
{
    while (*line == ' ' || *line == '\t')
	line++;
    return (line);
}

/* reply_is_attribution - "On ... wrote:", on one line or two */

static int reply_is_attribution(char **lines, int i)
{
    const char *line = reply_unquoted(lines[i]);
    int     result = 0;

    if (strlen(line) > REPLY_MAX_ATTRIBUTION || *line == '>')
	return (0);
    if (reply_ends_wrote(line))
	return (1);
    /* German and Dutch put the verb before the name: "... schrieb Bob:" */
    if (reply_starts(line, reply_on) && line[strlen(line) - 1] == ':'
	&& reply_has_wrote(line))
	return (1);
    /* Clients wrap long attributions; the verb lands on the next line. */
    if (reply_starts(line, reply_on) && lines[i + 1] != NULL) {
	char   *joined = g_strconcat(line, " ", reply_unquoted(lines[i + 1]), NULL);

	result = strlen(joined) <= REPLY_MAX_ATTRIBUTION && reply_ends_wrote(joined);
	g_free(joined);
    }
    return (result);
}

/* reply_is_outlook_block - "From:" followed soon by "Sent:" */

static int reply_is_outlook_block(char **lines, int i)
{
    const char *line = reply_unquoted(lines[i]);

    if (!reply_starts(line, reply_from))
	return (0);
    for (int j = i + 1; j <= i + 4 && lines[j] != NULL; j++)
	if (reply_starts(reply_unquoted(lines[j]), reply_sent))
	    return (1);
    return (0);
}

/* reply_is_cut_signature - does a signature or the marker start here */

static int reply_is_cut_signature(const char *line, const char *marker)
{
    if (marker && *marker && strcasestr(line, marker) != NULL)
	return (1);
    return (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0);
}

/* reply_is_cut - does the history or signature start at line i */

static int reply_is_cut(char **lines, int i, const char *marker)
{
    const char *line = lines[i];
    const char *trimmed = reply_unquoted(line);

    if (reply_is_cut_signature(line, marker))
	return (1);
    if (reply_starts(trimmed, reply_separators))
	return (1);
    if (reply_starts(trimmed, reply_mobile) && strlen(trimmed) < 80)
	return (1);
    return (reply_is_attribution(lines, i) || reply_is_outlook_block(lines, i));
}

/* reply_blank - is a line empty after white space */

static int reply_blank(const char *line)
{
    return (*reply_unquoted(line) == 0);
}

/* reply_bottom_posted - the unquoted lines after the history */

static char **reply_bottom_posted(char **lines, int n)
{
    GPtrArray *keep = g_ptr_array_new();

    /* Drop the attribution and every quoted line; keep the rest. */
    for (int i = 0; i < n; i++) {
	if (reply_unquoted(lines[i])[0] == '>' || reply_is_attribution(lines, i))
	    continue;
	g_ptr_array_add(keep, g_strdup(lines[i]));
    }
    g_ptr_array_add(keep, NULL);
    return ((char **) g_ptr_array_free(keep, FALSE));
}

/* reply_cut_index - the first line of history or signature */

static int reply_cut_index(char **lines, int n, const char *marker)
{
    int     end;

    for (end = 0; end < n; end++)
	if (reply_is_cut(lines, end, marker))
	    break;
    return (end);
}

/* reply_is_ruler - a line of only "-", "_", "=" or "*" */

static int reply_is_ruler(const char *line)
{
    const char *p = reply_unquoted(line);

    if (strlen(p) < 3)
	return (0);
    for (; *p; p++)
	if (!strchr("-_=* \t", *p))
	    return (0);
    return (1);
}

/* reply_strip - the new text of a reply */

char   *reply_strip(const char *text, const char *marker)
{
    char  **lines = text_lines(text);
    int     n = 0;
    int     start = 0;
    int     end;
    GString *out;

    for (; lines[n] != NULL; n++) {
	char   *cr = lines[n] + strlen(lines[n]);

	if (cr > lines[n] && cr[-1] == '\r')
	    cr[-1] = 0;
    }
    end = reply_cut_index(lines, n, marker);
    /* Nothing above the history: a bottom-posted answer, look below. */
    for (start = 0; start < end && reply_blank(lines[start]); start++)
	;
    if (start == end && end < n && !reply_is_cut_signature(lines[end], marker)) {
	char  **below = reply_bottom_posted(lines, n);

	g_strfreev(lines);
	lines = below;
	n = g_strv_length(lines);
	end = reply_cut_index(lines, n, marker);
    }
    start = 0;
    /* Drop trailing quoted, blank and ruler lines ("----" before Zimbra's
     * and Outlook's header blocks). */
    while (end > 0 && (reply_blank(lines[end - 1])
		       || reply_unquoted(lines[end - 1])[0] == '>'
		       || reply_is_ruler(lines[end - 1])))
	end--;
    /* Leading blank lines say nothing either. */
    while (start < end && reply_blank(lines[start]))
	start++;
    out = g_string_new(NULL);
    for (int i = start; i < end; i++) {
	g_string_append(out, lines[i]);
	if (i + 1 < end)
	    g_string_append_c(out, '\n');
    }
    g_strfreev(lines);
    return (g_string_free(out, FALSE));
}

/* The commands, and the argument each takes (NULL: none). */
static const struct {
    const char *name;
    const char *argument;
}       known[] = {
    {"note", 0}, {"close", 0}, {"pending", 0}, {"solved", 0}, {"take", 0},
    {"assign", "ADDRESS"}, {"cc", "add|remove ADDRESS"}, {"merge", "NUMBER"},
    {"spam", 0}, {"notspam", 0}, {"canned", "NAME"},
    /* Of a mail to the queue address, not of a reply to a ticket. */
    {"list", 0}, {"new", "ADDRESS"},
};

#define COMMAND_LIST "#note, #close, #pending, #solved, #take, #assign ADDRESS, " \
		     "#cc add|remove ADDRESS, #merge NUMBER, #spam, #notspam, #canned NAME; " \
		     "to the queue address: #list, #new ADDRESS"

/* command_free - release one MAIL_COMMAND */

static void command_free(gpointer data)
{
    MAIL_COMMAND *command = data;

    g_free(command->name);
    g_free(command->argument);
    g_free(command);
}

/* command_parse - one "#..." line, stripped, into commands->list or ->errors */

static void command_parse(MAIL_COMMANDS *commands, const char *line)
{
    char   *text = g_strstrip(g_strdup(line));
    char   *word = text + 1, *arg = word + strcspn(word, " \t");
    MAIL_COMMAND *command;

    if (*arg)
	*arg++ = 0;
    arg = g_strstrip(arg);
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
	if (g_ascii_strcasecmp(word, known[i].name) != 0)
	    continue;
	if ((known[i].argument != 0) != (*arg != 0)) {
	    g_ptr_array_add(commands->errors, known[i].argument ?
			    g_strdup_printf("#%s needs %s", known[i].name, known[i].argument) :
			    g_strdup_printf("#%s takes no argument", known[i].name));
	} else {
	    command = g_new0(MAIL_COMMAND, 1);
	    command->name = g_strdup(known[i].name);
	    command->argument = g_strdup(arg);
	    g_ptr_array_add(commands->list, command);
	}
	g_free(text);
	return;
    }
    g_ptr_array_add(commands->errors, g_strdup_printf("%s: not a command (" COMMAND_LIST ")", line));
    g_free(text);
}

/* mail_commands - the command lines at the top of a reply, or NULL */

MAIL_COMMANDS *mail_commands(const char *text)
{
    MAIL_COMMANDS *commands = NULL;
    const char *line = text, *end;
    char   *copy;

    while (line && *line) {
	end = line + strcspn(line, "\n");
	copy = g_strndup(line, (gsize) (end - line));
	g_strstrip(copy);
	if (*copy == '#') {
	    if (commands == NULL) {
		commands = g_new0(MAIL_COMMANDS, 1);
		commands->list = g_ptr_array_new_with_free_func(command_free);
		commands->errors = g_ptr_array_new_with_free_func(g_free);
	    }
	    command_parse(commands, copy);
	} else if (*copy) {
	    g_free(copy);
	    break;
	}
	g_free(copy);
	line = *end ? end + 1 : end;
    }
    if (commands)
	commands->body_start = g_utf8_strlen(text, line - text);
    return (commands);
}

/* mail_commands_free - release what mail_commands() returned */

void    mail_commands_free(MAIL_COMMANDS *commands)
{
    if (commands == NULL)
	return;
    g_ptr_array_free(commands->list, TRUE);
    g_ptr_array_free(commands->errors, TRUE);
    g_free(commands);
}
