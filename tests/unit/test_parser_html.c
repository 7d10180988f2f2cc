/*++
/* NAME
/*	test_parser_html 1
/* SUMMARY
/*	unit tests: the HTML sanitizer against attack vectors
/* DESCRIPTION
/*	One row per vector, grouped by class: control characters and
/*	entities inside a scheme, SVG and MathML, event handlers, CSS,
/*	base and meta refresh, remote resources, raw-text elements. Each
/*	row names text that must survive (the sanitizer did not just
/*	drop everything); no output may hold anything that runs or
/*	reaches out: every payload calls alert() or names evil.test.
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>

typedef struct VECTOR {
    const char *name;
    const char *html;
    const char *keep;			/* must be in the output */
} VECTOR;

static const VECTOR vectors[] = {
    /* Control characters and entities inside the scheme. */
    {"cr entity in scheme", "<a href=\"jav&#x0D;ascript:alert(1)\">keep</a>", "keep"},
    {"tab entity in scheme", "<a href=\"jav&#x09;ascript:alert(1)\">keep</a>", "keep"},
    {"lf entity in scheme", "<a href=\"java&#10;script:alert(1)\">keep</a>", "keep"},
    {"raw tab in scheme", "<a href=\"java\tscript:alert(1)\">keep</a>", "keep"},
    {"leading controls", "<a href=\"&#x01;&#x20;javascript:alert(1)\">keep</a>", "keep"},
    {"decimal entities", "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">keep</a>", "keep"},
    {"named entities", "<a href=\"java&Tab;script&colon;alert(1)\">keep</a>", "keep"},
    {"upper case", "<a href=\"JaVaScRiPt:alert(1)\">keep</a>", "keep"},
    {"vbscript", "<a href=\"vbscript:alert(1)\">keep</a>", "keep"},
    {"data html link", "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">keep</a>", "keep"},
    {"area href", "<map><area href=\"jav&#x0D;ascript:alert(1)\" alt=\"keep\"></map>", "keep"},
    {"cite", "<blockquote cite=\"javascript:alert(1)\">keep</blockquote>", "keep"},
    {"xlink href on html", "<a xlink:href=\"jav&#x0D;ascript:alert(1)\">keep</a>", "keep"},
    /* SVG and MathML namespaces. */
    {"svg xlink", "<p>keep</p><svg><a xlink:href=\"jav&#x0D;ascript:alert(1)\"><text>x</text></a></svg>", "keep"},
    {"svg animate", "<p>keep</p><svg><a><animate attributeName=\"href\" values=\"javascript:alert(1)\"/><text>x</text></a></svg>", "keep"},
    {"svg onload", "<p>keep</p><svg onload=\"alert(1)\"></svg>", "keep"},
    {"svg use", "<p>keep</p><svg><use href=\"https://evil.test/x.svg#a\"/></svg>", "keep"},
    {"svg prefixed", "<p>keep</p><svg:svg><svg:a xlink:href=\"javascript:alert(1)\">x</svg:a></svg:svg>", "keep"},
    {"mathml maction", "<p>keep</p><math><maction actiontype=\"statusline\" xlink:href=\"javascript:alert(1)\">x</maction></math>", "keep"},
    {"mathml href", "<p>keep</p><math href=\"javascript:alert(1)\"><mi>x</mi></math>", "keep"},
    /* Event handlers. */
    {"img onerror", "<img src=\"cid:logo\" onerror=\"alert(1)\" alt=\"keep\">", "keep"},
    {"body onload", "<body onload=\"alert(1)\"><p>keep</p></body>", "keep"},
    {"upper case handler", "<p ONMOUSEOVER=\"alert(1)\">keep</p>", "keep"},
    {"details ontoggle", "<details open ontoggle=\"alert(1)\">keep</details>", "keep"},
    {"formaction", "<p>keep</p><form><button formaction=\"javascript:alert(1)\">x</button></form>", "keep"},
    {"bare button", "<p>keep</p><button formaction=\"javascript:alert(1)\">x</button>", "keep"},
    /* CSS. */
    {"style element", "<style>@import 'https://evil.test/a.css'; p{background:url(https://evil.test/b)}</style><p>keep</p>", "keep"},
    {"style attribute", "<p style=\"background:url(https://evil.test/t.png)\">keep</p>", "keep"},
    {"style expression", "<p style=\"width:expression(alert(1))\">keep</p>", "keep"},
    {"link stylesheet", "<link rel=\"stylesheet\" href=\"https://evil.test/a.css\"><p>keep</p>", "keep"},
    {"background attribute", "<table background=\"https://evil.test/t.png\"><tr><td>keep</td></tr></table>", "keep"},
    /* Base and meta refresh. */
    {"base", "<base href=\"https://evil.test/\"><a href=\"#top\">keep</a>", "keep"},
    {"meta refresh", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"><p>keep</p>", "keep"},
    {"meta refresh body", "<p>keep</p><meta http-equiv=\"refresh\" content=\"0;url=https://evil.test/\">", "keep"},
    /* Remote resources. */
    {"remote image", "<img src=\"https://evil.test/track.gif\" alt=\"keep\">", "alt=\"keep\""},
    {"remote image no alt", "<p>keep</p><img src=\"http://evil.test/track.gif\">", "[remote image]"},
    {"remote image spaced", "<img src=\" htt&#x09;ps://evil.test/t.gif\" alt=\"keep\">", "keep"},
    {"srcset", "<img src=\"cid:a\" srcset=\"https://evil.test/a.png 2x\" alt=\"keep\">", "keep"},
    {"video poster", "<p>keep</p><video poster=\"https://evil.test/p.png\"><source src=\"https://evil.test/v.mp4\"></video>", "keep"},
    {"iframe srcdoc", "<p>keep</p><iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>", "keep"},
    {"object data", "<p>keep</p><object data=\"https://evil.test/x.swf\"></object>", "keep"},
    {"input image", "<p>keep</p><input type=\"image\" src=\"https://evil.test/x.png\">", "keep"},
    {"relative link", "<a href=\"/admin/delete?id=1&amp;evil.test\">keep</a>", "keep"},
    /* Raw-text elements libxml2 reads as markup and a browser does not. */
    {"xmp breakout", "<p>keep</p><xmp><p title=\"</xmp><img src=x onerror=alert(1)>\"></xmp>", "keep"},
    {"noscript breakout", "<p>keep</p><noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", "keep"},
    {"textarea breakout", "<p>keep</p><textarea><p title=\"</textarea><img src=x onerror=alert(1)>\"></textarea>", "keep"},
    {"title breakout", "<title><p title=\"</title><img src=x onerror=alert(1)>\"></title><p>keep</p>", "keep"},
    {"noembed breakout", "<p>keep</p><noembed><p title=\"</noembed><img src=x onerror=alert(1)>\"></noembed>", "keep"},
    {"script", "<script>alert(1)</script><p>keep</p>", "keep"},
    {"comment", "<!--<img src=x onerror=alert(1)>--><p>keep</p>", "keep"},
    {"processing instruction", "<?xml-stylesheet href=\"https://evil.test/a.xsl\"?><p>keep</p>", "keep"},
};

/* Nothing of these may be in any output. */
static const char *const forbidden[] = {
    "alert", "javascript", "vbscript", "evil.test", "data:text", "onerror",
    "onload", "onmouseover", "ontoggle", "style", "svg", "math", "xlink",
    "srcset", "formaction", "background", "refresh", "<base", "<link",
    "<meta", "<script", "<iframe", "<object", "poster", "/admin", NULL,
};

/* sanitize - the sanitized form of an HTML body */

static char *sanitize(const char *html)
{
    char   *msg = g_strdup_printf("From: a@x.test\nContent-Type: text/html; charset=utf-8\n\n%s\n",
				  html);
    MAIL   *m = mail_parse_bytes(msg, strlen(msg), NULL);
    char   *safe = mail_html_sanitized(m);

    mail_free(m);
    g_free(msg);
    return (safe);
}

/* setup - initialize the parser once */

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

static void test_vectors(void **state)
{
    int     failed = 0;

    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
	char   *safe = sanitize(vectors[i].html);
	char   *lower = g_ascii_strdown(safe, -1);

	for (const char *const *bad = forbidden; *bad; bad++)
	    if (strstr(lower, *bad) != NULL) {
		print_error("%s: output holds \"%s\": %s\n", vectors[i].name, *bad, safe);
		failed++;
	    }
	if (strstr(safe, vectors[i].keep) == NULL) {
	    print_error("%s: output lost \"%s\": %s\n", vectors[i].name, vectors[i].keep, safe);
	    failed++;
	}
	g_free(lower);
	g_free(safe);
    }
    assert_int_equal(failed, 0);
}

static void test_kept(void **state)
{
    /* What a help desk needs to show stays, URLs as a browser reads
     * them; links open without a referrer. */
    char   *safe = sanitize("<p align=\"center\">Hi <b>there</b></p>"
			    "<a href=\" https://ok.test/a?b=1&amp;c=2 \">ok</a>"
			    "<a href=\"ht&#x09;tps://ok.test/t\">tab</a>"
			    "<a href=\"mailto:help@ok.test\">mail</a><a href=\"#top\">top</a>"
			    "<img src=\"cid:logo@ok\" alt=\"logo\" width=\"10\">"
			    "<img src=\"data:image/png;base64,AAAA\">"
			    "<table bgcolor=\"#fff\"><tr><td colspan=\"2\">cell</td></tr></table>");

    assert_non_null(strstr(safe, "<p align=\"center\">Hi <b>there</b></p>"));
    assert_non_null(strstr(safe, "href=\"https://ok.test/a?b=1&amp;c=2\""));
    assert_non_null(strstr(safe, "href=\"https://ok.test/t\""));
    assert_non_null(strstr(safe, "href=\"mailto:help@ok.test\""));
    assert_non_null(strstr(safe, "href=\"#top\""));
    assert_non_null(strstr(safe, "rel=\"noopener noreferrer\""));
    assert_non_null(strstr(safe, "src=\"cid:logo@ok\""));
    assert_non_null(strstr(safe, "width=\"10\""));
    assert_non_null(strstr(safe, "data:image/png"));
    assert_non_null(strstr(safe, "bgcolor=\"#fff\""));
    assert_non_null(strstr(safe, "colspan=\"2\""));
    g_free(safe);
}

static void test_remote_image(void **state)
{
    /* The image stays as a placeholder: no src, its alt text. */
    char   *safe = sanitize("<img src=\"https://tracker.test/p.gif?u=1\" alt=\"Logo\" width=\"1\">");

    assert_null(strstr(safe, "tracker.test"));
    assert_null(strstr(safe, "src="));
    assert_non_null(strstr(safe, "<img"));
    assert_non_null(strstr(safe, "alt=\"Logo\""));
    g_free(safe);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_vectors),
	cmocka_unit_test(test_kept),
	cmocka_unit_test(test_remote_image),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
