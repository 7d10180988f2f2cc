/*++
/* NAME
/*	html_sanitize 3
/* SUMMARY
/*	HTML that is safe to show an agent; an answer's HTML without its
/*	quoted history; HTML framed by a notification's lines
/* SYNOPSIS
/*	#include <parser/mail.h>
/*
/*	char	*mail_html_sanitized(const MAIL *mail)
/*
/*	char	*mail_html_clean(const char *html)
/*
/*	char	*mail_html_reply(const MAIL *mail)
/*
/*	char	*mail_html_reply_text(const char *html, const char *marker)
/*
/*	char	*mail_html_framed(const char *html, const char *before,
/*				  const char *after)
/*
/*	htmlDocPtr html_read(const char *html)
/*	void	html_sanitize_doc(htmlDocPtr doc)
/*	char	*html_write(htmlDocPtr doc)
/* DESCRIPTION
/*	mail_html_sanitized() returns the message's HTML body re-serialized
/*	by libxml2 without what could run, reach out or dress up as the
/*	help desk when it is shown. NULL when there is no HTML. g_free the
/*	result. mail_html_clean() does the same to any HTML text (an
/*	answer posted to ticket-api), "" when it has no element.
/* .IP \(bu
/*	Elements dropped with what they contain: script, style sheets
/*	(style, link), meta (refresh) and base, frames, objects, forms
/*	and their controls, media (audio, video, source, track), SVG and
/*	MathML (their own namespaces, xlink:href, animations), and the
/*	elements browsers read as raw text (title, textarea, xmp,
/*	noscript, noembed, noframes, plaintext): libxml2 reads markup
/*	inside them, a browser does not, and the difference lets markup
/*	out ("mutation XSS"). Comments and processing instructions go too.
/* .IP \(bu
/*	Attributes are kept only when on an allow-list of presentational
/*	ones (alt, title, width, align, bgcolor, colspan...): event
/*	handlers, style, srcset, formaction, background, namespaced
/*	attributes (xlink:href, xml:base), id, name and class go.
/* .IP \(bu
/*	URLs (href of a and area, src of img, cite) are normalized as a
/*	browser does before the scheme is checked: entities are already
/*	decoded by libxml2, C0 controls and spaces are trimmed at both
/*	ends, and tab, CR and LF are removed everywhere (browsers drop
/*	them anywhere in a URL, so "jav&#x0D;ascript:" is javascript:).
/*	The normalized value is what is kept. Allowed: http, https,
/*	mailto and cid, a fragment ("#top"), and for images cid and
/*	data:image/ (an image cannot run script). Anything else,
/*	relative URLs included, is removed.
/* .IP \(bu
/*	A remote image (http or https) would tell the sender that and
/*	when an agent read the message: its src is removed and it shows
/*	its alt text, "[remote image]" when it has none. Links get
/*	rel="noopener noreferrer".
/* .PP
/*	The tree is walked without recursion, as in html_text.
/*
/*	Inside the parser: html_read() parses UTF-8 HTML, NULL when there is no
/*	root element; html_sanitize_doc() applies the rules above to a
/*	parsed document; html_write() serializes it and frees it.
/*
/*	An answer's HTML is here too, as the quote is cut in the tree that
/*	is then sanitized. mail_html_reply() returns the message's HTML sanitized as
/*	mail_html_sanitized() does, after the quoted history that mail
/*	clients append was cut, and, when the reply text starts with an
/*	agent's command lines (mail_commands()), the leading lines of the
/*	HTML that start with "#". NULL when the message has no HTML.
/*	The quoted history is recognized before sanitizing, by the
/*	classes, ids and styles the clients write (sanitizing removes
/*	them):
/* .IP \(bu
/*	Gmail: an element of class gmail_quote (the attribution is
/*	inside); Yahoo: class yahoo_quoted.
/* .IP \(bu
/*	Thunderbird and Apple Mail: <blockquote type="cite">, and the
/*	element before it when it is Thunderbird's moz-cite-prefix or a
/*	short text ending in "wrote:" (the attribution).
/* .IP \(bu
/*	Outlook: the element with id divRplyFwdMsg or appendonsend, a
/*	<div> whose style has a border-top and whose text starts with
/*	"From:", and an <hr> followed by such a "From:" block. These
/*	start the forwarded header of the quoted message: everything
/*	from there to the end of the document is cut, with the <hr>
/*	just before.
/* .PP
/*	mail_html_reply_text() returns the readable text of such HTML
/*	(html_text.c), without the quoted history and signature that
/*	reply_strip() finds in text (marker is the site's ReplyMarker,
/*	or NULL).
/*
/*	mail_html_framed() returns the HTML with the text before put
/*	first in its body and the text after last, each escaped in a
/*	<pre> block of its own ("" or NULL: none): a notification's
/*	header lines around the customer's sanitized HTML.
/*
/*	All results are newly allocated; g_free them.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

/* Parser library. */
#include <parser/mail_impl.h>

static const char *const drop_elements[] = {
    "script", "style", "link", "meta", "base", "iframe", "frame", "frameset",
    "object", "embed", "applet", "param", "form", "input", "button", "select",
    "textarea", "keygen", "isindex", "noscript", "template", "svg", "math",
    "audio", "video", "source", "track", "canvas", "portal", "title", "xmp",
    "noembed", "noframes", "plaintext", NULL,
};

/* Presentational attributes that load nothing and run nothing. */
static const char *const keep_attributes[] = {
    "alt", "title", "width", "height", "align", "valign", "border",
    "cellpadding", "cellspacing", "colspan", "rowspan", "color", "bgcolor",
    "face", "size", "dir", "lang", "start", "type", "span", "headers",
    "scope", "abbr", "summary", "nowrap", "hspace", "vspace", "clear",
    "noshade", "datetime", "reversed", "value", "shape", "coords", "rules",
    "frame", "char", "charoff", "axis", "compact", "label", NULL,
};

#define HTML_URL_MAX	8192		/* a longer URL is dropped */

/* is_named - is name one of a NULL-terminated list */

static int is_named(const xmlChar *name, const char *const *list)
{
    for (; *list; list++)
	if (xmlStrcasecmp(name, (const xmlChar *) *list) == 0)
	    return (1);
    return (0);
}

/* url_normalize - a URL as a browser reads it, newly allocated */

static char *url_normalize(const char *value)
{
    size_t  len = strlen(value);
    char   *out = g_malloc(len + 1);
    char   *w = out;

    /* Leading and trailing C0 controls and spaces go (WHATWG URL). */
    while (len > 0 && (unsigned char) *value <= 0x20) {
	value++;
	len--;
    }
    while (len > 0 && (unsigned char) value[len - 1] <= 0x20)
	len--;
    /* Tab, LF and CR go from anywhere. */
    for (size_t i = 0; i < len; i++)
	if (value[i] != '\t' && value[i] != '\n' && value[i] != '\r')
	    *w++ = value[i];
    *w = 0;
    return (out);
}

/* url_scheme_is - does a normalized URL have this scheme */

static int url_scheme_is(const char *url, const char *scheme)
{
    size_t  n = strlen(scheme);

    return (g_ascii_strncasecmp(url, scheme, n) == 0 && url[n] == ':');
}

/* url_verdict - keep (1), drop (0), or a remote image (2) */

static int url_verdict(const char *url, int is_img_src)
{
    if (strlen(url) > HTML_URL_MAX)
	return (0);
    if (url_scheme_is(url, "cid"))
	return (1);
    if (is_img_src) {
	if (url_scheme_is(url, "http") || url_scheme_is(url, "https"))
	    return (2);
	return (g_ascii_strncasecmp(url, "data:image/", 11) == 0);
    }
    return (url[0] == '#' || url_scheme_is(url, "http") || url_scheme_is(url, "https")
	    || url_scheme_is(url, "mailto"));
}

/* is_url_attribute - does this attribute of this element hold a URL */

static int is_url_attribute(const xmlNode *node, const xmlChar *name, int *is_img_src)
{
    *is_img_src = 0;
    if (xmlStrcasecmp(name, (const xmlChar *) "href") == 0)
	return (xmlStrcasecmp(node->name, (const xmlChar *) "a") == 0
		|| xmlStrcasecmp(node->name, (const xmlChar *) "area") == 0);
    if (xmlStrcasecmp(name, (const xmlChar *) "src") == 0)
	return (*is_img_src = xmlStrcasecmp(node->name, (const xmlChar *) "img") == 0);
    return (xmlStrcasecmp(name, (const xmlChar *) "cite") == 0);
}

/* clean_url - keep, normalize or drop one URL attribute */

static int clean_url(xmlNode *node, xmlAttr *attr, int is_img_src, int *remote)
{
    xmlChar *value = xmlNodeGetContent((xmlNode *) attr);
    char   *url;
    int     verdict;

    if (value == NULL)
	return (0);
    url = url_normalize((const char *) value);
    xmlFree(value);
    verdict = url_verdict(url, is_img_src);
    if (verdict == 1)
	xmlSetProp(node, attr->name, (const xmlChar *) url);
    *remote = verdict == 2;
    g_free(url);
    return (verdict == 1);
}

/* clean_attributes - keep only harmless attributes and safe URLs */

static void clean_attributes(xmlNode *node)
{
    xmlAttr *attr = node->properties, *next;
    int     remote = 0;
    int     is_link = xmlStrcasecmp(node->name, (const xmlChar *) "a") == 0
    || xmlStrcasecmp(node->name, (const xmlChar *) "area") == 0;

    for (; attr != NULL; attr = next) {
	int     keep;
	int     is_img_src;
	int     was_remote = 0;

	next = attr->next;
	/* A namespace prefix (xlink:href) is not an attribute we know. */
	if (attr->ns != NULL || xmlStrchr(attr->name, ':') != NULL)
	    keep = 0;
	else if (is_url_attribute(node, attr->name, &is_img_src))
	    keep = clean_url(node, attr, is_img_src, &was_remote);
	else
	    keep = is_named(attr->name, keep_attributes);
	remote |= was_remote;
	if (!keep)
	    xmlRemoveProp(attr);
    }
    if (remote && xmlHasProp(node, (const xmlChar *) "alt") == NULL)
	xmlSetProp(node, (const xmlChar *) "alt", (const xmlChar *) "[remote image]");
    if (is_link && xmlHasProp(node, (const xmlChar *) "href") != NULL)
	xmlSetProp(node, (const xmlChar *) "rel", (const xmlChar *) "noopener noreferrer");
}

/* html_read - an HTML document from UTF-8 text; NULL when it has no root */

htmlDocPtr html_read(const char *html)
{
    htmlDocPtr doc;

    if (html == NULL || strlen(html) > INT_MAX)
	return (NULL);
    doc = htmlReadMemory(html, (int) strlen(html), NULL, "UTF-8",
			 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
			 | HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    if (doc != NULL && xmlDocGetRootElement(doc) == NULL) {
	xmlFreeDoc(doc);
	doc = NULL;
    }
    return (doc);
}

/* html_write - the document as text, newly allocated; the document is freed */

char   *html_write(htmlDocPtr doc)
{
    xmlChar *out = NULL;
    int     out_len = 0;
    char   *result;

    htmlDocDumpMemoryFormat(doc, &out, &out_len, 0);
    result = g_strndup(out ? (const char *) out : "", out ? (gsize) out_len : 0);
    xmlFree(out);
    xmlFreeDoc(doc);
    return (result);
}

/* html_sanitize_doc - remove active content from a parsed document */

void    html_sanitize_doc(htmlDocPtr doc)
{
    GPtrArray *doomed;
    xmlNode *root = xmlDocGetRootElement(doc), *node;

    doomed = g_ptr_array_new();
    /* Comments and processing instructions around the root too. */
    for (node = doc->children; node != NULL; node = node->next)
	if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
	    g_ptr_array_add(doomed, node);
    node = root;
    while (node != NULL) {
	int     descend = 0;

	if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE
	    || (node->type == XML_ELEMENT_NODE && (is_named(node->name, drop_elements)
				    || xmlStrchr(node->name, ':') != NULL))) {
	    g_ptr_array_add(doomed, node);
	} else if (node->type == XML_ELEMENT_NODE) {
	    clean_attributes(node);
	    descend = node->children != NULL;
	}
	if (descend) {
	    node = node->children;
	    continue;
	}
	while (node != root && node->next == NULL)
	    node = node->parent;
	node = node == root ? NULL : node->next;
    }
    for (guint i = 0; i < doomed->len; i++) {
	xmlUnlinkNode(g_ptr_array_index(doomed, i));
	xmlFreeNode(g_ptr_array_index(doomed, i));
    }
    g_ptr_array_free(doomed, TRUE);
}

/* mail_html_clean - any HTML text without active content */

char   *mail_html_clean(const char *html)
{
    htmlDocPtr doc;

    if (html == NULL || strlen(html) > INT_MAX)
	return (NULL);
    if ((doc = html_read(html)) == NULL)
	return (g_strdup(""));
    html_sanitize_doc(doc);
    return (html_write(doc));
}

/* mail_html_sanitized - the HTML body without active content */

char   *mail_html_sanitized(const MAIL *mail)
{
    return (mail_html_clean(mail_html(mail)));
}

#define ATTRIBUTION_MAX	400		/* "On ..., X wrote:" is shorter */

/* has_class - does the element's class attribute list the name */

static int has_class(xmlNode *node, const char *name)
{
    xmlChar *value = xmlGetProp(node, (const xmlChar *) "class");
    char  **tokens;
    int     found = 0;

    if (value == NULL)
	return (0);
    tokens = g_strsplit_set((const char *) value, " \t\r\n", -1);
    for (char **t = tokens; *t && !found; t++)
	found = g_ascii_strcasecmp(*t, name) == 0;
    g_strfreev(tokens);
    xmlFree(value);
    return (found);
}

/* attr_has - does an attribute's value contain the text, any case */

static int attr_has(xmlNode *node, const char *attr, const char *text)
{
    xmlChar *value = xmlGetProp(node, (const xmlChar *) attr);
    char   *lower;
    int     found;

    if (value == NULL)
	return (0);
    lower = g_ascii_strdown((const char *) value, -1);
    found = strstr(lower, text) != NULL;
    g_free(lower);
    xmlFree(value);
    return (found);
}

/* is_element - an element of this name */

static int is_element(const xmlNode *node, const char *name)
{
    return (node && node->type == XML_ELEMENT_NODE
	    && xmlStrcasecmp(node->name, (const xmlChar *) name) == 0);
}

/* node_text - the element's text, white space trimmed, at most limit bytes */

static char *node_text(xmlNode *node, size_t limit)
{
    xmlChar *content = xmlNodeGetContent(node);
    char   *text = g_strstrip(g_strdup(content ? (const char *) content : ""));

    xmlFree(content);
    if (strlen(text) > limit)
	text[limit] = 0;
    return (text);
}

/* starts_from_block - the element's text starts with "From:" */

static int starts_from_block(xmlNode *node)
{
    char   *text = node_text(node, 64);
    int     yes = g_ascii_strncasecmp(text, "From:", 5) == 0;

    g_free(text);
    return (yes);
}

/* next_element - the next sibling element, skipping text and comments */

static xmlNode *next_element(xmlNode *node)
{
    for (node = node->next; node && node->type != XML_ELEMENT_NODE; node = node->next)
	 /* void */ ;
    return (node);
}

/* prev_element - the previous sibling element */

static xmlNode *prev_element(xmlNode *node)
{
    for (node = node->prev; node && node->type != XML_ELEMENT_NODE; node = node->prev)
	 /* void */ ;
    return (node);
}

/* is_attribution - "On ..., X wrote:" or Thunderbird's cite prefix */

static int is_attribution(xmlNode *node)
{
    char   *text;
    int     yes;

    if (node == NULL)
	return (0);
    if (has_class(node, "moz-cite-prefix"))
	return (1);
    text = node_text(node, ATTRIBUTION_MAX + 1);
    yes = strlen(text) <= ATTRIBUTION_MAX && g_str_has_suffix(text, ":")
	&& (strstr(text, "wrote") || strstr(text, "schrieb") || strstr(text, "crit")
	    || strstr(text, "escribi") || strstr(text, "escreveu"));
    g_free(text);
    return (yes);
}

/* starts_outlook_header - where Outlook's header of the quoted mail starts */

static int starts_outlook_header(xmlNode *node)
{
    xmlNode *next;

    if (attr_has(node, "id", "divrplyfwdmsg") || attr_has(node, "id", "appendonsend"))
	return (1);
    if (is_element(node, "div") && attr_has(node, "style", "border-top") && starts_from_block(node))
	return (1);
    if (is_element(node, "hr") && (next = next_element(node)) != NULL
	&& (attr_has(next, "id", "divrplyfwdmsg") || starts_from_block(next)))
	return (1);
    return (0);
}

/* The nodes to remove, each once. */
typedef struct DOOMED {
    GPtrArray *list;
    GHashTable *set;
} DOOMED;

/* doomed_new - an empty set of nodes to remove */

static DOOMED *doomed_new(void)
{
    DOOMED *doomed = g_new(DOOMED, 1);

    doomed->list = g_ptr_array_new();
    doomed->set = g_hash_table_new(g_direct_hash, g_direct_equal);
    return (doomed);
}

/* doom - add a node to those removed, once */

static void doom(DOOMED *doomed, xmlNode *node)
{
    if (node && g_hash_table_add(doomed->set, node))
	g_ptr_array_add(doomed->list, node);
}

/* doom_all - unlink and free the doomed nodes (unlinked first: one may be
 * inside another), and the set */

static void doom_all(DOOMED *doomed)
{
    for (guint i = 0; i < doomed->list->len; i++)
	xmlUnlinkNode(g_ptr_array_index(doomed->list, i));
    for (guint i = 0; i < doomed->list->len; i++)
	xmlFreeNode(g_ptr_array_index(doomed->list, i));
    g_ptr_array_free(doomed->list, TRUE);
    g_hash_table_destroy(doomed->set);
    g_free(doomed);
}

/* cut_to_end - doom node, what follows it, and what follows its ancestors */

static void cut_to_end(xmlNode *node, xmlNode *top, DOOMED *doomed)
{
    xmlNode *prev = prev_element(node);

    if (is_element(prev, "hr"))
	doom(doomed, prev);
    doom(doomed, node);
    for (; node && node != top; node = node->parent)
	for (xmlNode *n = node->next; n; n = n->next)
	    doom(doomed, n);
}

/* html_body - the body element, else the root */

static xmlNode *html_body(htmlDocPtr doc)
{
    xmlNode *root = xmlDocGetRootElement(doc);

    for (xmlNode *n = root->children; n; n = n->next)
	if (is_element(n, "body"))
	    return (n);
    return (root);
}

/* next_node - the next node in document order below top, or NULL */

static xmlNode *next_node(xmlNode *node, xmlNode *top, int descend)
{
    if (descend && node->children)
	return (node->children);
    while (node != top && node->next == NULL)
	node = node->parent;
    return (node == top ? NULL : node->next);
}

/* cut_quotes - remove the quoted history from the tree */

static void cut_quotes(htmlDocPtr doc)
{
    xmlNode *top = html_body(doc), *node = top->children;
    DOOMED *doomed = doomed_new();

    while (node != NULL) {
	int     descend = node->type == XML_ELEMENT_NODE;

	if (node->type != XML_ELEMENT_NODE) {
	     /* void */ ;
	} else if (starts_outlook_header(node)) {
	    cut_to_end(node, top, doomed);
	    break;
	} else if (has_class(node, "gmail_quote") || has_class(node, "gmail_quote_container")
		   || has_class(node, "yahoo_quoted")) {
	    doom(doomed, node);
	    descend = 0;
	} else if (is_element(node, "blockquote") && attr_has(node, "type", "cite")) {
	    if (is_attribution(prev_element(node)))
		doom(doomed, prev_element(node));
	    doom(doomed, node);
	    descend = 0;
	}
	node = next_node(node, top, descend);
    }
    doom_all(doomed);
}

/* skip_blank - past white space and no-break spaces */

static const char *skip_blank(const char *p)
{
    for (;;) {
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
	    p++;
	else if ((unsigned char) p[0] == 0xc2 && (unsigned char) p[1] == 0xa0)
	    p += 2;
	else
	    return (p);
    }
}

/* cut_command_lines - remove the leading lines that start with "#", and
 * the line breaks between them; stop at the first other text */

static void cut_command_lines(htmlDocPtr doc)
{
    xmlNode *top = html_body(doc), *node = top->children;
    DOOMED *doomed = doomed_new();

    while (node != NULL) {
	int     descend = node->type == XML_ELEMENT_NODE;

	if (is_element(node, "br")) {
	    doom(doomed, node);
	} else if (node->type == XML_TEXT_NODE && node->content) {
	    const char *p = skip_blank((const char *) node->content);

	    while (*p == '#')
		p = skip_blank(p + strcspn(p, "\n"));
	    if (*p) {
		char   *rest = g_strdup(p);

		xmlNodeSetContent(node, (const xmlChar *) rest);
		g_free(rest);
		break;
	    }
	    doom(doomed, node);
	} else if (node->type == XML_ELEMENT_NODE && (is_element(node, "head")
		       || is_element(node, "style") || is_element(node, "script"))) {
	    descend = 0;
	} else if (is_element(node, "img")) {
	    break;
	}
	node = next_node(node, top, descend);
    }
    doom_all(doomed);
}

/* mail_html_reply - the answer's sanitized HTML, quote and commands cut */

char   *mail_html_reply(const MAIL *mail)
{
    const char *html = mail_html(mail);
    MAIL_COMMANDS *commands;
    htmlDocPtr doc;

    if (html == NULL)
	return (NULL);
    if ((doc = html_read(html)) == NULL)
	return (g_strdup(""));
    cut_quotes(doc);
    if ((commands = mail_commands(mail_reply_text(mail))) != NULL) {
	cut_command_lines(doc);
	mail_commands_free(commands);
    }
    html_sanitize_doc(doc);
    return (html_write(doc));
}

/* mail_html_reply_text - the readable text of an answer's HTML */

char   *mail_html_reply_text(const char *html, const char *marker)
{
    char   *text = html_to_text(html, strlen(html));
    char   *reply = reply_strip(text, marker);

    g_free(text);
    return (reply);
}

/* add_pre - a <pre> block with the text, first or last in parent */

static void add_pre(xmlNode *parent, const char *text, int first)
{
    xmlNode *pre;

    if (text == NULL || *text == 0)
	return;
    pre = xmlNewNode(NULL, (const xmlChar *) "pre");
    xmlNodeAddContent(pre, (const xmlChar *) text);
    if (first && parent->children)
	xmlAddPrevSibling(parent->children, pre);
    else
	xmlAddChild(parent, pre);
}

/* mail_html_framed - HTML with a text block before and after its content */

char   *mail_html_framed(const char *html, const char *before, const char *after)
{
    htmlDocPtr doc = html_read(html);
    xmlNode *body;

    if (doc == NULL)
	doc = html_read("<html><body></body></html>");
    body = html_body(doc);
    add_pre(body, before, 1);
    add_pre(body, after, 0);
    return (html_write(doc));
}
