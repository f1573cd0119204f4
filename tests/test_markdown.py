"""Markdown rendering: one function for preview and pages, and nothing unsafe gets through."""

import re
from html.parser import HTMLParser

import pytest

from articles.markdown import paragraph_contents, render_markdown

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "![alt](x.png){: onerror=alert(1) }",
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<a href="javascript:alert(1)">raw link</a>',
    "[inline](javascript:alert(1))",
    "[inline upper](JaVaScRiPt:alert(1))",
    "[spaced]( javascript:alert(1))",
    "[ref][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[vb](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[entity](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[hex entity](&#x6A;avascript:alert(1))",
    "[tab](jav&#x09;ascript:alert(1))",
    '<a href="&#106;avascript:alert(1)">entity raw</a>',
    "### Heading {: onclick=alert(1) }",
    '### Heading {#x" onclick="alert(1)}',
    '<div onmouseover="alert(1)">hover</div>',
    '<form action="https://evil.example"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "form",
    "meta",
    "base",
    "math",
}


class ElementCollector(HTMLParser):
    """The elements and attributes a browser would build from the HTML (text is inert)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html):
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_nothing_executable_reaches_the_page(vector):
    html = render_markdown(f"Before.\n\n{vector}\n\nAfter.")
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in {"href", "src"}:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value or "").split(":")[0].lower()
                assert scheme not in {"javascript", "vbscript", "data"}, html
    assert "Before." in html


def test_ordinary_markdown_survives():
    html = render_markdown(
        "Some *emphasis*, **strong** and a [link](https://example.org/page).\n\n"
        "- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n![A calf](/media/uploads/calf.png)"
    )
    assert "<em>emphasis</em>" in html and "<strong>strong</strong>" in html
    assert '<a href="https://example.org/page" rel="noopener noreferrer">link</a>' in html
    assert "<ul>" in html and "<ol>" in html and "<blockquote>" in html
    assert '<img alt="A calf" src="/media/uploads/calf.png">' in html


def test_subheadings_keep_their_explicit_anchor_when_reworded():
    before = render_markdown("### 1. Hypocalcemia {#hypocalcemia}\n\nText.")
    after = render_markdown("### 1. Low blood calcium {#hypocalcemia}\n\nText.")
    for html in (before, after):
        assert '<h3 id="hypocalcemia">' in html
        assert '<a class="permalink" href="#hypocalcemia"' in html


def test_subheading_levels_follow_the_page():
    text = "# Too big\n\n### Sub {#sub}\n\n#### Smaller {#smaller}"
    assert re.findall(r"<(h\d)", render_markdown(text)) == ["h3", "h3", "h4"]
    assert re.findall(r"<(h\d)", render_markdown(text, heading_level=2)) == ["h2", "h2", "h3"]


def test_editorial_notes_are_marked():
    html = render_markdown('!!! editorial "Editor\'s note"\n    Garbled in translation.')
    assert '<div class="admonition editorial">' in html
    assert '<p class="admonition-title">Editor\'s note</p>' in html


def test_unknown_classes_and_ids_are_dropped():
    html = render_markdown('<p class="evil">x</p>\n\n### Head {#Not_A-valid id}')
    assert 'class="evil"' not in html
    assert "Not_A" not in html


PATHOLOGICAL = {
    # The 39 KB of brackets (30 s to render) and 300 nested list levels (RecursionError).
    "brackets, 39 KB": ("[" * 13000 + "x" + "](" * 13000, "the limit is 20,000"),
    "lists, 300 levels": (
        "".join("    " * level + "- item\n" for level in range(300)),
        "the limit is 20,000",
    ),
    # The same within the length limit.
    "brackets, 18 KB": ("[" * 6000 + "x" + "](" * 6000, "too many square brackets"),
    "unclosed brackets": ("[a" * 9000, "too many square brackets"),
    "brackets in many paragraphs": ("\n\n".join(["[a" * 500] * 19), "too many square brackets"),
    "lists, tab-indented": (
        "".join("\t" * level + "- item\n" for level in range(40)),
        "nested more than 12 levels",
    ),
    "quotes, nested": ("".join("> " * level + "a\n\n" for level in range(140)), "more than 12"),
    "emphasis, nested": ("*" * 4000 + "a" + "*" * 4000, "nests too deeply"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text_gets_a_message_in_preview_and_on_save(
    editor_client, content, text, message
):
    from articles.models import Section
    from tests.test_admin import change_url, section_form

    preview = editor_client.post("/markdownx/markdownify/", {"content": text})
    assert preview.status_code == 200
    assert message in preview.content.decode()

    section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
    saved = editor_client.post(change_url(section), section_form(section, body=text))
    assert saved.status_code == 200
    assert message in saved.content.decode()
    assert Section.objects.get(pk=section.pk).body == section.body


def test_ordinary_text_within_the_bounds_renders():
    text = "\n\n".join(
        f"A paragraph with [a link](https://example.com/{n}) in it." for n in range(200)
    )
    assert render_markdown(text).count("<a ") == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "message"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_article_introduction_is_a_form_error(editor_client, content, text, message):
    from articles.models import Article
    from tests.test_admin import article_form, change_url

    article = Article.objects.get(slug="calf-muscle-spasm")
    saved = editor_client.post(change_url(article), article_form(article, intro=text))
    assert saved.status_code == 200
    assert message in saved.content.decode()
    assert Article.objects.get(pk=article.pk).intro == article.intro


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("Words with *emphasis*.", "Words with <em>emphasis</em>."),
        ("<script>alert(1)</script>Words.", "Words."),
        ("One.\n\nTwo.", None),
        ("- a list", None),
        ("## A heading", None),
        ('!!! editorial "Editor\'s note"\n    A note.', None),
        ("Words <div>a block</div> after", None),
        ("> quoted", None),
        ("<p>raw</p><p>two</p>", None),
    ],
)
def test_one_paragraph_goes_inside_the_pages_own_and_nothing_else_does(text, inside):
    """The home page's lead, cards and disclaimer: only one sanitised paragraph's inside."""
    assert paragraph_contents(render_markdown(text)) == inside
