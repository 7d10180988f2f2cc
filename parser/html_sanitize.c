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
/*	by libxml2 without what could run or reach out when a help desk
/*	shows it: script, style sheets, frames, objects, forms, meta and
/*	base elements and comments are dropped; event handler attributes
/*	(on...) and javascript:, vbscript: and data: URLs (other than
/*	data:image for images) are removed. NULL when there is no HTML.
/*	g_free the result.
/*
/*	The tree is walked without recursion, as in html_text.
/*--*/

#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include <parser/mail_impl.h>

static const char *const drop_elements[] = {
    "script", "style", "link", "meta", "base", "iframe", "frame", "frameset",
    "object", "embed", "applet", "form", "noscript", "template", NULL,
};

/* is_named - is name one of a NULL-terminated list */

static int is_named(const xmlChar *name, const char *const *list)
{
    for (; *list; list++)
	if (xmlStrcasecmp(name, (const xmlChar *) *list) == 0)
	    return (1);
    return (0);
}

/* unsafe_url - a URL that runs code or smuggles content */

static int unsafe_url(const xmlChar *value, int is_img_src)
{
    const char *v = (const char *) value;

    while (*v && (g_ascii_isspace(*v) || (unsigned char) *v < 0x20))
	v++;
    if (g_ascii_strncasecmp(v, "javascript:", 11) == 0
	|| g_ascii_strncasecmp(v, "vbscript:", 9) == 0)
	return (1);
    if (g_ascii_strncasecmp(v, "data:", 5) == 0)
	return (!(is_img_src && g_ascii_strncasecmp(v, "data:image/", 11) == 0));
    return (0);
}

/* clean_attributes - drop event handlers and unsafe URLs of one element */

static void clean_attributes(xmlNode *node)
{
    xmlAttr *attr = node->properties, *next;

    for (; attr != NULL; attr = next) {
	xmlChar *value;
	int     drop;

	next = attr->next;
	drop = g_ascii_strncasecmp((const char *) attr->name, "on", 2) == 0;
	if (!drop && (value = xmlNodeGetContent((xmlNode *) attr)) != NULL) {
	    drop = unsafe_url(value, xmlStrcasecmp(node->name, (const xmlChar *) "img") == 0
			      && xmlStrcasecmp(attr->name, (const xmlChar *) "src") == 0);
	    xmlFree(value);
	}
	if (drop)
	    xmlRemoveProp(attr);
    }
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
    node = root;
    while (node != NULL) {
	int     descend = 0;

	if (node->type == XML_COMMENT_NODE
	    || (node->type == XML_ELEMENT_NODE && is_named(node->name, drop_elements))) {
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
