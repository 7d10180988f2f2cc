/*++
/* NAME
/*	template 3
/* SUMMARY
/*	mail templates with {{variable}} fields
/* DESCRIPTION
/*	See template.h. One scanner serves both check and render, so that
/*	what `ticketctl template set` accepts is exactly what renders.
/*--*/

/* System library. */
#include <string.h>

/* Global library. */
#include <milter/core/template.h>

const char *const template_variables[] = {
    "ticket_number", "ticket_subject", "ticket_tag", "customer_name",
    "customer_address", "queue_name", "queue_address", "reply_address",
    "date", "event", "customer_text", "attachments", 0,
};

/* known_variable - is this one of the names? */

static int known_variable(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
	if (strcmp(names[i], name) == 0)
	    return (1);
    return (0);
}

/* template_scan - walk the text; call field() for each {{name}} and
 * literal() for the text between; -1 with err on a syntax error */

static int template_scan(const char *text, TM_ERROR *err,
			         void (*literal) (const char *, size_t, void *),
			         int (*field) (const char *, int, TM_ERROR *, void *),
			         void *context)
{
    const char *p = text, *open, *close;
    int     line = 1;

    while ((open = strstr(p, "{{")) != NULL) {
	for (const char *c = p; c < open; c++)
	    line += (*c == '\n');
	literal(p, (size_t) (open - p), context);
	if ((close = strstr(open + 2, "}}")) == NULL || memchr(open + 2, '\n', (size_t) (close - open - 2)))
	    return (tm_error(err, "line %d: \"{{\" without \"}}\" on the same line", line));
	char   *name = g_strstrip(g_strndup(open + 2, (size_t) (close - open - 2)));
	int     ret = field(name, line, err, context);

	g_free(name);
	if (ret < 0)
	    return (-1);
	p = close + 2;
    }
    for (const char *c = p; *c; c++)
	line += (*c == '\n');
    if ((close = strstr(p, "}}")) != NULL)
	return (tm_error(err, "line %d: \"}}\" without \"{{\"", line));
    literal(p, strlen(p), context);
    return (0);
}

/* skip_literal - template_check() needs no output */

static void skip_literal(const char *text, size_t len, void *context)
{
}

/* check_field - refuse names not in the list (context) */

static int check_field(const char *name, int line, TM_ERROR *err, void *context)
{
    const char *const *names = context;
    char   *known;

    if (known_variable(names, name))
	return (0);
    known = g_strjoinv(", ", (char **) names);
    tm_error(err, "line %d: unknown variable \"%s\" (known: %s)", line, name, known);
    g_free(known);
    return (-1);
}

/* template_check_names - refuse bad syntax and names not in names */

int     template_check_names(const char *text, const char *const *names, TM_ERROR *err)
{
    return (template_scan(text, err, skip_literal, check_field, (void *) names));
}

/* template_check - refuse bad syntax and unknown names */

int     template_check(const char *text, TM_ERROR *err)
{
    return (template_check_names(text, template_variables, err));
}

typedef struct RENDER {
    GString *out;
    GHashTable *values;
    int     html;
} RENDER;

/* render_literal - copy text between fields */

static void render_literal(const char *text, size_t len, void *context)
{
    g_string_append_len(((RENDER *) context)->out, text, (gssize) len);
}

/* render_field - append a field's value, escaped for HTML if asked */

static int render_field(const char *name, int line, TM_ERROR *err, void *context)
{
    RENDER *r = context;
    const char *value = g_hash_table_lookup(r->values, name);

    if (value == NULL)
	return (0);
    if (r->html) {
	char   *escaped = g_markup_escape_text(value, -1);

	g_string_append(r->out, escaped);
	g_free(escaped);
    } else {
	g_string_append(r->out, value);
    }
    return (0);
}

/* template_render - the text with every field replaced */

char   *template_render(const char *text, GHashTable *values, int html)
{
    RENDER  r = {g_string_new(""), values, html};
    TM_ERROR err;

    /* A stored template was checked; a broken one renders as far as it goes. */
    if (template_scan(text, &err, render_literal, render_field, &r) < 0)
	msg_warn("template: %s", err.text);
    return (g_string_free(r.out, FALSE));
}
