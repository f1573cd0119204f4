"""Markdown to safe HTML: the one function behind the admin preview and the public pages.

Editors write subheadings as ``### Heading {#anchor}``. The explicit ``{#anchor}`` (attr_list)
keeps links to a subheading working when its words change. Every subheading gets a
"link to this section" control, and the output is sanitized with nh3, so nothing an editor
pastes can put script, styles, frames or event handlers on a page.
"""

import re
import xml.etree.ElementTree as etree
from html.parser import HTMLParser

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, slugify
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

# Section bodies sit under the section heading: their own headings start at h3 on article and
# topic pages (section heading h2) and at h2 on a section's own page (section heading h1).
ARTICLE_HEADING_LEVEL = 3
STANDALONE_HEADING_LEVEL = 2

# toc makes repeated headings unique with "_1", "_2": allowed, or those ids would be dropped.
ANCHOR_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
HEADING_TAGS = {f"h{level}" for level in range(2, 7)}

ALLOWED_TAGS = HEADING_TAGS | {
    "a", "b", "blockquote", "br", "code", "div", "em", "hr", "i", "img", "li", "ol", "p",
    "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    "picture", "source",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes"},
    "source": {"srcset", "sizes", "type"},
    "ol": {"start"},
    "span": {"aria-hidden"},
    "th": {"scope"},
    **{tag: {"id"} for tag in HEADING_TAGS},
}
ALLOWED_CLASSES = {
    "a": {"permalink"},
    "div": {"admonition", "editorial", "note", "subheading"},
    "p": {"admonition-title"},
    "span": {"visually-hidden", "cite", "cite-missing"},
}

# A citation of source sentences in a plain-English version: [@id] or [@id; @id2] (the ids
# are the source page's, articles/sources.py).
CITATION_RE = r"\[@([a-z0-9-]+(?:\s*;\s*@[a-z0-9-]+)*)\]"
CITED_ID_RE = re.compile(r"@([a-z0-9-]+)")


# Bounds on what is rendered. Python-Markdown's time grows with the square of the number of
# "[" in a paragraph (each one looks ahead for its "]"), and it recurses once per level of
# nesting (lists, emphasis): hostile text could hold a worker for minutes or crash it.
MAX_LENGTH = 20_000
# The characters after each "[" up to the end of its paragraph, added up over the text: a few
# hundredths of a second of rendering at most.
MAX_BRACKET_WORK = 100_000
MAX_NESTING = 12  # levels of lists, indented blocks or quotes
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
QUOTE_MARKS = re.compile(r"[ \t]*(?:>[ \t]*)+")


class TooComplex(ValidationError):
    """Text the renderer refuses; the message is for the editor (and, raised while a form is
    cleaned, shown there as an error)."""


def check_renderable(text):
    """Raise TooComplex when the text is beyond what is rendered (fast: one pass)."""
    if len(text) > MAX_LENGTH:
        raise TooComplex(
            f"This text is {len(text):,} characters long; the limit is {MAX_LENGTH:,}. "
            "Split it into more than one section."
        )
    work = sum(
        len(paragraph) - at
        for paragraph in PARAGRAPH_BREAK.split(text)
        for at, char in enumerate(paragraph)
        if char == "["
    )
    if work > MAX_BRACKET_WORK:
        raise TooComplex(
            "This text has too many square brackets “[” in long paragraphs to be shown. Use "
            "fewer links or brackets, or split long paragraphs into shorter ones."
        )
    for line in text.splitlines():
        line = line.expandtabs(4)
        quotes = QUOTE_MARKS.match(line)
        if (len(line) - len(line.lstrip())) // 4 > MAX_NESTING or (
            quotes and quotes.group().count(">") > MAX_NESTING
        ):
            raise TooComplex(
                f"Lists, quotes or indented text are nested more than {MAX_NESTING} levels "
                "deep. Use fewer levels."
            )


# An editor's note as Python-Markdown's admonition extension reads its first line.
NOTE_LINE = re.compile(r'!!! ?(?P<kind>[\w\-]+(?: +[\w\-]+)*)(?: +"(?P<title>.*?)")? *')
NOTE_EXAMPLE = '!!! editorial "Editor\'s note"'
EMPTY_NOTE = re.compile(
    r'<div class="admonition[^"]*">\s*(?:<p class="admonition-title">(?:(?!</p>).)*</p>\s*)?</div>',
    re.S,
)


def editorial_note_errors(text):
    """What is wrong with the editor's notes in `text`, one message per problem, each saying
    on which line; [] when every note renders as an editor's note with text in it.

    A note Markdown cannot read shows readers its source; one whose text is not indented by
    four spaces shows an empty box with the note's text as if it were the source's."""
    errors = []
    lines = (text or "").expandtabs(4).splitlines()
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if not stripped.startswith("!!!"):
            continue
        indent = len(line) - len(stripped)
        where = f"Line {number}"
        found = NOTE_LINE.fullmatch(stripped.rstrip())
        if found is None or indent % 4:
            errors.append(
                f"{where}: “{Truncator(stripped).chars(40)}” is not an editor's note that can "
                f"be shown. Start the line with {NOTE_EXAMPLE}, nothing after it, and indent "
                "the note's text under it by four spaces."
            )
            continue
        if found["kind"] != "editorial":
            errors.append(
                f"{where}: only editor's notes can be added as boxes ({NOTE_EXAMPLE}), "
                f"not “!!! {found['kind']}”."
            )
        if "\\" in (found["title"] or ""):
            errors.append(
                f"{where}: the note's title has a backslash, which readers would see. "
                f"Write it as {NOTE_EXAMPLE}."
            )
        following = next((later for later in lines[number:] if later.strip()), None)
        if following is None or len(following) - len(following.lstrip()) < indent + 4:
            errors.append(
                f"{where}: the editor's note has no text indented by four spaces under it, so "
                "it would show as an empty box (and the text after it as the source's "
                "wording). Indent every line of the note by four spaces."
            )
            continue
        # In a list, the next item straight after the note's text would start a new list
        # inside this item: items 3, 4... shown under item 2.
        after = number
        while after < len(lines) and (
            not lines[after].strip() or len(lines[after]) - len(lines[after].lstrip()) >= indent + 4
        ):
            after += 1
        if indent and after < len(lines) and lines[after - 1].strip():
            errors.append(
                f"{where}: leave a blank line between the editor's note and the line after it "
                f"(line {after + 1}), or the rest of the list is shown inside this item."
            )
    return errors


def empty_notes(html):
    """How many editor's note boxes in rendered HTML have nothing in them but a title."""
    return len(EMPTY_NOTE.findall(html))


class SubheadingTreeprocessor(Treeprocessor):
    """Sets each top-level heading's level and adds its "link to this section" control."""

    def __init__(self, md, heading_level):
        super().__init__(md)
        self.heading_level = heading_level

    def run(self, root):
        for index, element in enumerate(list(root)):
            if element.tag not in {f"h{level}" for level in range(1, 7)}:
                continue
            level = max(int(element.tag[1]), ARTICLE_HEADING_LEVEL)
            element.tag = f"h{min(level + self.heading_level - ARTICLE_HEADING_LEVEL, 6)}"
            anchor = element.get("id")
            if not anchor:
                continue
            wrapper = etree.Element("div", {"class": "subheading"})
            root.remove(element)
            root.insert(index, wrapper)
            wrapper.append(element)
            link = etree.SubElement(wrapper, "a", {"class": "permalink", "href": f"#{anchor}"})
            mark = etree.SubElement(link, "span", {"aria-hidden": "true"})
            mark.text = "#"
            label = etree.SubElement(link, "span", {"class": "visually-hidden"})
            label.text = f"Link to this section: {''.join(element.itertext()).strip()}"


# An image uploaded in the editor (articles/editor.py), and a srcset made of its copies only.
UPLOADED_IMAGE = re.compile(r"^/media/uploads/(?P<stem>[0-9a-f]{32})\.(?P<ext>png|jpg|webp)$")
UPLOADED_SRCSET = re.compile(
    r"^/media/uploads/[0-9a-f]{32}(?:-[0-9]{1,4})?\.(?:png|jpg|webp) [0-9]{1,5}w"
    r"(?:, /media/uploads/[0-9a-f]{32}(?:-[0-9]{1,4})?\.(?:png|jpg|webp) [0-9]{1,5}w)*$"
)
# The text column: 42rem wide at most, less 1rem padding each side on narrow screens.
IMAGE_SIZES = "(max-width: 42rem) calc(100vw - 2rem), 40rem"


class ResponsiveImageTreeprocessor(Treeprocessor):
    """An uploaded image with its size given ({width=... height=...}) gets the narrower and
    WebP copies the upload made as a srcset, in a <picture>: phones load a small file."""

    def run(self, root):
        for parent in list(root.iter()):
            for index, image in enumerate(list(parent)):
                found = UPLOADED_IMAGE.match(image.get("src") or "") if image.tag == "img" else None
                if found and (image.get("width") or "").isdigit():
                    self.offer_copies(parent, index, image, found, int(image.get("width")))

    @staticmethod
    def offer_copies(parent, index, image, found, width):
        from django.core.files.storage import default_storage

        from .editor import UPLOAD_DIR, VARIANT_WIDTHS, variant_name

        def srcset(extension):
            widths = [w for w in VARIANT_WIDTHS if w < width]
            names = [(variant_name(found["stem"], w, extension), w) for w in widths]
            names.append((variant_name(found["stem"], None, extension), width))
            if not all(default_storage.exists(f"{UPLOAD_DIR}/{name}") for name, _ in names):
                return None  # uploaded before copies were made, or removed
            return ", ".join(f"/media/{UPLOAD_DIR}/{name} {w}w" for name, w in names)

        own = srcset(found["ext"])
        if own is None:
            return
        image.set("srcset", own)
        image.set("sizes", IMAGE_SIZES)
        webp = srcset("webp") if found["ext"] != "webp" else None
        if webp is None:
            return
        picture = etree.Element("picture")
        etree.SubElement(
            picture, "source", {"type": "image/webp", "srcset": webp, "sizes": IMAGE_SIZES}
        )
        picture.tail, image.tail = image.tail, None
        parent.remove(image)
        parent.insert(index, picture)
        picture.append(image)


class DropEmptyAttributesTreeprocessor(Treeprocessor):
    """attr_list turns a bare word such as `{#a id}` into an attribute with no value, which
    crashes toc; drop those before toc runs."""

    def run(self, root):
        for element in root.iter():
            for name in [name for name, value in element.attrib.items() if value is None]:
                del element.attrib[name]


class SubheadingExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {"heading_level": [ARTICLE_HEADING_LEVEL, "Level of the top headings"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        # After toc (priority 5), which gives headings without an explicit id a slug id.
        processor = SubheadingTreeprocessor(md, self.getConfig("heading_level"))
        md.treeprocessors.register(processor, "subheadings", 4)
        # Between attr_list (8) and toc (5).
        md.treeprocessors.register(DropEmptyAttributesTreeprocessor(md), "drop_empty", 6)
        # After attr_list (8), which gives an image its width.
        md.treeprocessors.register(ResponsiveImageTreeprocessor(md), "responsive_images", 7)


class CitationInlineProcessor(InlineProcessor):
    """[@id; @id2] becomes links to those sentences on the source page; an id that `resolve`
    does not know is shown as such (a save refuses it, see cited_ids)."""

    def __init__(self, pattern, md, resolve):
        super().__init__(pattern, md)
        self.resolve = resolve

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API)
        ids = CITED_ID_RE.findall(m.group(0))
        span = etree.Element("span", {"class": "cite"})
        links = [(ident, self.resolve(ident)) for ident in ids]
        missing = [ident for ident, url in links if url is None]
        if missing:
            span.set("class", "cite cite-missing")
            span.text = f"(source sentence not found: {', '.join(missing)})"
            return span, m.start(0), m.end(0)
        if len(links) == 1:
            span.text = "("
            link = etree.SubElement(span, "a", {"href": links[0][1]})
            link.text = "source"
            link.tail = ")"
        else:
            span.text = "(sources: "
            for number, (_, url) in enumerate(links, start=1):
                link = etree.SubElement(span, "a", {"href": url})
                link.text = str(number)
                link.tail = ", " if number < len(links) else ")"
        return span, m.start(0), m.end(0)


class CitationExtension(Extension):
    def __init__(self, resolve, **kwargs):
        self.resolve = resolve
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        # Before links (160), which would otherwise read [@id] as a reference.
        md.inlinePatterns.register(
            CitationInlineProcessor(CITATION_RE, md, self.resolve), "cite", 175
        )


def _keep_attribute(tag, attribute, value):
    if attribute == "id" and not ANCHOR_RE.match(value):
        return None
    # Only the copies of our own uploads (ResponsiveImageTreeprocessor), never other addresses.
    if attribute == "srcset" and not UPLOADED_SRCSET.match(value):
        return None
    if (tag, attribute) == ("source", "type") and value != "image/webp":
        return None
    return value


def sanitize(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def render_markdown(text, heading_level=ARTICLE_HEADING_LEVEL, cite=None):
    """Render editor Markdown to sanitized HTML.

    `cite(id)` gives the address of a cited source sentence, or None when there is no such
    sentence; without it, citations are shown as not found."""
    md = markdown.Markdown(
        extensions=[
            "attr_list",
            "admonition",
            "sane_lists",
            "toc",
            SubheadingExtension(heading_level=heading_level),
            CitationExtension(cite or (lambda ident: None)),
        ],
        extension_configs={"toc": {"slugify": _slugify_anchor}},
        output_format="html",
    )
    check_renderable(text or "")
    try:
        html = md.convert(text or "")
    except RecursionError as error:
        raise TooComplex(
            "This text nests too deeply (lists, quotes or emphasis inside one another) to be "
            "shown. Use fewer levels."
        ) from error
    return sanitize(html)


def render_preview(text):
    """markdownx's live preview: the page's rendering, citations resolved against every
    article's source (a save then checks they are the right article's), or why the text
    cannot be shown."""
    from .models import source_citations  # the models use this module

    try:
        html = render_markdown(text, cite=source_citations())
    except TooComplex as error:
        return format_html('<p class="preview-refused"><strong>{}</strong></p>', error.message)
    # Said in the preview too, where the editor sees the note go wrong, not only on saving.
    problems = format_html_join(
        "",
        '<p class="preview-refused"><strong>{}</strong></p>',
        ((problem,) for problem in editorial_note_errors(text)),
    )
    return problems + mark_safe(html)  # noqa: S308 (sanitized by render_markdown)


def cited_ids(text):
    """The source sentence ids a text cites, in order."""
    citations = re.finditer(CITATION_RE, text or "")
    return [ident for found in citations for ident in CITED_ID_RE.findall(found.group(0))]


def _slugify_anchor(value, separator):
    return slugify(value) or "section"


def anchors_in(html):
    """The ids of the subheadings in rendered HTML, in order."""
    return re.findall(r'<h[2-6] id="([^"]+)"', html)


class _TextExtractor(HTMLParser):
    """Collects the reader-visible source text of rendered HTML, one string per block.

    Skips the permalink controls, editorial notes and citations, which are not source wording.
    """

    BLOCKS = {"p", "li", "blockquote", "td", "th", "pre"} | HEADING_TAGS
    SKIPPED_CLASSES = {"permalink", "admonition", "cite"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []  # (tag, text) pairs
        self.ids = []  # the id of each block, or None
        self._tag = self._id = None
        self._current = []
        self._skip_stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if self._skip_stack or classes & self.SKIPPED_CLASSES:
            self._skip_stack.append(tag)
        elif tag in self.BLOCKS:
            self._flush()
            self._tag = tag
            self._id = attrs.get("id")

    def handle_endtag(self, tag):
        if self._skip_stack:
            if self._skip_stack[-1] == tag:
                self._skip_stack.pop()
            return
        if tag in self.BLOCKS:
            self._flush()

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_data(self, data):
        if not self._skip_stack:
            self._current.append(data)

    def _flush(self):
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append((self._tag, text))
            self.ids.append(self._id)
        self._current = []

    def close(self):
        super().close()
        self._flush()


class _CitationChecker(HTMLParser):
    """Finds paragraphs and list items with text of their own but no citation."""

    BLOCKS = {"p", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.uncited = []
        self._open = []  # [own text, cited] for each open block
        self._skip_stack = []  # inside an editor's note
        self._in_cite = False

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if self._skip_stack or "admonition" in classes:
            self._skip_stack.append(tag)
        elif tag == "span" and "cite" in classes:
            self._in_cite = True
            if self._open:
                self._open[-1][1] = True
        elif tag in self.BLOCKS:
            self._open.append([[], False])

    def handle_endtag(self, tag):
        if self._skip_stack:
            if self._skip_stack[-1] == tag:
                self._skip_stack.pop()
        elif self._in_cite and tag == "span":
            self._in_cite = False
        elif tag in self.BLOCKS and self._open:
            text, cited = self._open.pop()
            text = " ".join("".join(text).split())
            if text and not cited:
                self.uncited.append(text)

    def handle_data(self, data):
        if not self._skip_stack and not self._in_cite and self._open:
            self._open[-1][0].append(data)


def uncited_blocks(html):
    """The text of each paragraph or list item in rendered HTML that cites no source sentence
    (editor's notes aside)."""
    checker = _CitationChecker()
    checker.feed(html)
    checker.close()
    return checker.uncited


def text_blocks(html):
    """The source text of rendered HTML as (tag, text) blocks: paragraphs, items, headings."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.blocks


def chunks(html):
    """Split rendered HTML at its subheadings: [(anchor, heading, text), ...].

    The first chunk, before any subheading, has no anchor or heading.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    found = [["", "", []]]
    for (tag, text), anchor in zip(parser.blocks, parser.ids, strict=True):
        if tag in HEADING_TAGS and anchor:
            found.append([anchor, text, []])
        else:
            found[-1][2].append(text)
    return [
        (anchor, heading, " ".join(texts)) for anchor, heading, texts in found if heading or texts
    ]


def search_pieces(heading, html):
    """What search indexes for a section: [(anchor, heading, text), ...], the section's own
    heading going with the text before its first subheading."""
    pieces = chunks(html)
    lead = pieces.pop(0)[2] if pieces and not pieces[0][0] else ""
    return [("", heading, lead), *pieces]


def shorten(text, limit):
    """The text, or as many of its first words as fit in `limit` characters with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # never a word cut in two
    return cut.rstrip(" ,;:–—-(") + "…"


def summarize(html, limit=160):
    """A plain-text description (for meta tags): the first words of the paragraphs."""
    text = " ".join(text for tag, text in text_blocks(html) if tag not in HEADING_TAGS)
    return shorten(text, limit)


def first_paragraph(html):
    """The text of the first paragraph of rendered HTML ("" when there is none)."""
    return next((text for tag, text in text_blocks(html) if tag == "p"), "")


# Rendered HTML that is one paragraph: <p>, then no other paragraph's tag, then </p>.
ONE_PARAGRAPH = re.compile(r"<p>((?:(?!</?p[\s>]).)*)</p>", re.S)


def paragraph_contents(html):
    """The inside of rendered HTML that is one paragraph, to go into a paragraph of the page's
    own; None when the HTML is anything else (several paragraphs, a list, a heading)."""
    match = ONE_PARAGRAPH.fullmatch(html.strip())
    return mark_safe(match[1]) if match else None  # noqa: S308 (sanitized when rendered)
