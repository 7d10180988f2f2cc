/*++
/* NAME
/*	html_sanitize 3
/* SUMMARY
/*	HTML that is safe to show an agent
/* SYNOPSIS
/*	#include <parser/mail.h>
/*
/*	char	*mail_html_sanitized(const MAIL *mail)
/* DESCRIPTION
/*	mail_html_sanitized() returns the message's HTML body re-serialized
/*	by libxml2 without what could run, reach out or dress up as the
/*	help desk when it is shown. NULL when there is no HTML. g_free the
/*	result.
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

/* mail_html_sanitized - the HTML body without active content */

char   *mail_html_sanitized(const MAIL *mail)
{
    const char *html = mail_html(mail);
    GPtrArray *doomed;
    htmlDocPtr doc;
    xmlNode *root, *node;
    xmlChar *out = NULL;
    int     out_len = 0;
    char   *result;

    if (html == NULL || strlen(html) > INT_MAX)
	return (NULL);
    doc = htmlReadMemory(html, (int) strlen(html), NULL, "UTF-8",
			 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
			 | HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
	if (doc)
	    xmlFreeDoc(doc);
	return (g_strdup(""));
    }
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
    htmlDocDumpMemoryFormat(doc, &out, &out_len, 0);
    result = g_strndup(out ? (const char *) out : "", out ? (gsize) out_len : 0);
    xmlFree(out);
    xmlFreeDoc(doc);
    return (result);
}
