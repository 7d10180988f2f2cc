/*++
/* NAME
/*	html_text 3
/* SUMMARY
/*	readable plain text from an HTML body
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*html_to_text(const char *html, size_t len)
/* DESCRIPTION
/*	html_to_text() parses UTF-8 HTML with libxml2's forgiving HTML
/*	parser and returns the text a reader would see: paragraphs and
/*	headings separated by blank lines, <br> and block elements as line
/*	breaks, list items as "- " or "1. ", link targets as " <url>" after
/*	the link text when they differ from it, image alt texts as "[alt]",
/*	and <blockquote> content prefixed with "> " per level, so that
/*	reply_strip() treats quoted HTML like quoted plain text. Scripts,
/*	styles, the head and comments are dropped.
/*
/*	The tree is walked without recursion: hostile mail may nest
/*	elements as deeply as the parser allows.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* Parser library. */
#include <parser/mail_impl.h>

typedef struct HTML_TEXT {
    GString *out;
    int     pending;			/* newlines owed before next text */
    int     at_start;			/* at the start of an output line */
    int     quote;			/* blockquote depth */
    int     pre;			/* inside <pre> */
    int     space;			/* a collapsed space is owed */
    GArray *lists;			/* int: 0 for ul, next number for ol */
    GArray *links;			/* gsize: out->len at <a> */
} HTML_TEXT;

/* html_name_in - is an element name one of a list */

static int html_name_in(const xmlChar *name, const char *const *list)
{
    for (; *list; list++)
	if (xmlStrcasecmp(name, (const xmlChar *) *list) == 0)
	    return (1);
    return (0);
}

static const char *const html_skip[] = {
    "script", "style", "head", "title", "noscript", "template", "object",
    "iframe", "svg", "xml", NULL,
};
static const char *const html_para[] = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre",
    "ul", "ol", "dl", "hr", NULL,
};
static const char *const html_line[] = {
    "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer",
    "address", "form", "center", "nav", "aside", "main", "figure",
    "caption", "body", "fieldset", "details", "summary", NULL,
};

/* html_newlines - owe at least n newlines before the next text */

static void html_newlines(HTML_TEXT *ht, int n)
{
    if (ht->out->len > 0 && ht->pending < n)
	ht->pending = n;
    ht->space = 0;
}

/* html_line_start - write owed newlines and the quote prefix */

static void html_line_start(HTML_TEXT *ht)
{
    for (; ht->pending > 0; ht->pending--) {
	if (!ht->at_start)
	    g_string_append_c(ht->out, '\n');
	else {
	    for (int i = 0; i < ht->quote; i++)
		g_string_append_c(ht->out, '>');
	    g_string_append_c(ht->out, '\n');
	}
	ht->at_start = 1;
    }
    if (ht->at_start) {
	for (int i = 0; i < ht->quote; i++)
	    g_string_append(ht->out, "> ");
	ht->at_start = 0;
	ht->space = 0;
    }
}

/* html_emit - append text, collapsing white space outside <pre> */

static void html_emit(HTML_TEXT *ht, const char *s)
{
    for (const char *p = s; *p; p++) {
	int     ws = g_ascii_isspace(*p);

	/* U+00A0 NO-BREAK SPACE reads as a space. */
	if ((unsigned char) p[0] == 0xC2 && (unsigned char) p[1] == 0xA0) {
	    ws = 1;
	    p++;
	}
	if (ht->pre) {
	    if (*p == '\n') {
		ht->pending++;
		continue;
	    }
	    html_line_start(ht);
	    g_string_append_c(ht->out, ws ? ' ' : *p);
	    continue;
	}
	if (ws) {
	    if (!ht->at_start || ht->pending == 0)
		ht->space = 1;
	    continue;
	}
	if (ht->space && !ht->at_start && ht->pending == 0)
	    g_string_append_c(ht->out, ' ');
	ht->space = 0;
	html_line_start(ht);
	g_string_append_c(ht->out, *p);
    }
}

/* html_enter - handle an opening element; return whether to descend */

static int html_enter(HTML_TEXT *ht, xmlNode *node)
{
    const xmlChar *name = node->name;

    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
	if (node->content)
	    html_emit(ht, (const char *) node->content);
	return (0);
    }
    if (node->type != XML_ELEMENT_NODE || html_name_in(name, html_skip))
	return (0);
    if (xmlStrcasecmp(name, (const xmlChar *) "br") == 0) {
	ht->pending++;
	if (ht->at_start && ht->out->len == 0)
	    ht->pending = 0;
	ht->space = 0;
	return (0);
    }
    if (xmlStrcasecmp(name, (const xmlChar *) "img") == 0) {
	xmlChar *alt = xmlGetProp(node, (const xmlChar *) "alt");

	if (alt && *alt) {
	    html_emit(ht, "[");
	    html_emit(ht, (const char *) alt);
	    html_emit(ht, "]");
	}
	xmlFree(alt);
	return (0);
    }
    if (html_name_in(name, html_para))
	html_newlines(ht, 2);
    else if (html_name_in(name, html_line))
	html_newlines(ht, 1);
    if (xmlStrcasecmp(name, (const xmlChar *) "blockquote") == 0)
	ht->quote++;
    else if (xmlStrcasecmp(name, (const xmlChar *) "pre") == 0)
	ht->pre++;
    else if (xmlStrcasecmp(name, (const xmlChar *) "ul") == 0
	     || xmlStrcasecmp(name, (const xmlChar *) "ol") == 0) {
	int     start = name[0] == 'o' || name[0] == 'O';

	g_array_append_val(ht->lists, start);
    } else if (xmlStrcasecmp(name, (const xmlChar *) "li") == 0) {
	int    *num = ht->lists->len ?
	&g_array_index(ht->lists, int, ht->lists->len - 1) : NULL;

	if (num && *num > 0) {
	    char    buf[32];

	    g_snprintf(buf, sizeof(buf), "%d. ", (*num)++);
	    html_emit(ht, buf);
	} else
	    html_emit(ht, "- ");
    } else if (xmlStrcasecmp(name, (const xmlChar *) "a") == 0) {
	gsize   at = ht->out->len;

	g_array_append_val(ht->links, at);
    } else if (xmlStrcasecmp(name, (const xmlChar *) "td") == 0
	       || xmlStrcasecmp(name, (const xmlChar *) "th") == 0) {
	if (!ht->at_start)
	    ht->space = 1;
    }
    if (xmlStrcasecmp(name, (const xmlChar *) "hr") == 0) {
	html_emit(ht, "----");
	html_newlines(ht, 2);
    }
    return (1);
}

/* html_link_target - append " <href>" after link text that lacks it */

static void html_link_target(HTML_TEXT *ht, xmlNode *node, gsize at)
{
    xmlChar *href = xmlGetProp(node, (const xmlChar *) "href");
    const char *h = (const char *) href;

    if (h && *h && *h != '#' && g_ascii_strncasecmp(h, "javascript:", 11) != 0) {
	const char *shown = h;
	char   *text = g_strndup(ht->out->str + at, ht->out->len - at);

	if (g_ascii_strncasecmp(h, "mailto:", 7) == 0)
	    shown = h + 7;
	if (strstr(text, shown) == NULL) {
	    char   *t = g_strdup_printf("%s<%s>", ht->out->len == at ? "" : " ",
					shown);

	    html_emit(ht, t);
	    g_free(t);
	}
	g_free(text);
    }
    xmlFree(href);
}

/* html_leave - handle a closing element */

static void html_leave(HTML_TEXT *ht, xmlNode *node)
{
    const xmlChar *name = node->name;

    if (node->type != XML_ELEMENT_NODE)
	return;
    if (xmlStrcasecmp(name, (const xmlChar *) "blockquote") == 0 && ht->quote > 0)
	ht->quote--;
    else if (xmlStrcasecmp(name, (const xmlChar *) "pre") == 0 && ht->pre > 0)
	ht->pre--;
    else if ((xmlStrcasecmp(name, (const xmlChar *) "ul") == 0
	      || xmlStrcasecmp(name, (const xmlChar *) "ol") == 0)
	     && ht->lists->len > 0)
	g_array_set_size(ht->lists, ht->lists->len - 1);
    else if (xmlStrcasecmp(name, (const xmlChar *) "a") == 0 && ht->links->len > 0) {
	gsize   at = g_array_index(ht->links, gsize, ht->links->len - 1);

	g_array_set_size(ht->links, ht->links->len - 1);
	html_link_target(ht, node, at);
    }
    if (html_name_in(name, html_para))
	html_newlines(ht, 2);
    else if (html_name_in(name, html_line))
	html_newlines(ht, 1);
}

/* html_tidy - trim trailing blanks per line and extra blank lines */

static char *html_tidy(GString *in)
{
    GString *out = g_string_sized_new(in->len);
    char  **lines = text_lines(in->str);
    int     blank = 0;

    for (char **lp = lines; *lp; lp++) {
	char   *line = g_strchomp(*lp);

	if (*line == 0 || strcmp(line, ">") == 0) {
	    blank++;
	    continue;
	}
	if (out->len > 0)
	    g_string_append(out, blank ? "\n\n" : "\n");
	blank = 0;
	g_string_append(out, line);
    }
    g_strfreev(lines);
    return (g_string_free(out, FALSE));
}

/* html_to_text - the readable text of an HTML document */

char   *html_to_text(const char *html, size_t len)
{
    HTML_TEXT ht;
    htmlDocPtr doc;
    xmlNode *root, *node;
    char   *result;

    if (len == 0 || len > INT_MAX)
	return (g_strdup(""));
    doc = htmlReadMemory(html, (int) len, NULL, "UTF-8",
			 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR
			 | HTML_PARSE_NOWARNING | HTML_PARSE_NONET
			 | HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD);
    if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
	if (doc)
	    xmlFreeDoc(doc);
	return (g_strdup(""));
    }
    memset(&ht, 0, sizeof(ht));
    ht.out = g_string_sized_new(len / 2 + 16);
    ht.at_start = 1;
    ht.lists = g_array_new(FALSE, FALSE, sizeof(int));
    ht.links = g_array_new(FALSE, FALSE, sizeof(gsize));

    node = root;
    while (node != NULL) {
	if (html_enter(&ht, node) && node->children) {
	    node = node->children;
	    continue;
	}
	for (;;) {
	    html_leave(&ht, node);
	    if (node == root) {
		node = NULL;
		break;
	    }
	    if (node->next) {
		node = node->next;
		break;
	    }
	    node = node->parent;
	}
    }
    xmlFreeDoc(doc);
    result = html_tidy(ht.out);
    g_string_free(ht.out, TRUE);
    g_array_free(ht.lists, TRUE);
    g_array_free(ht.links, TRUE);
    return (result);
}
