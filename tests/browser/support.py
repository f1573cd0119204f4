"""The pages the browser tests visit, and helpers the tests share."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from articles.loader import CONTENT_DIR, read_manifest
from articles.models import Kind

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# WCAG 2.0, 2.1 and 2.2, levels A and AA: what the site promises.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _public_pages():
    """Every public page the shipped content makes, by a short name (used in test ids)."""
    pages = {"home": reverse("articles:home")}
    for kind in Kind:
        pages[kind.value] = reverse("articles:topic", kwargs={"kind": kind.value})
    for manifest in sorted(CONTENT_DIR.glob("*/article.toml")):
        _, article, _, sections = read_manifest(manifest)
        slug = article["slug"]
        pages[f"article-{slug}"] = reverse("articles:article", kwargs={"article": slug})
        for _, section in sections:
            pages[f"section-{slug}-{section['slug']}"] = reverse(
                "articles:section", kwargs={"article": slug, "section": section["slug"]}
            )
        pages[f"source-{slug}"] = reverse("articles:source", kwargs={"article": slug})
    pages["about"] = reverse("articles:about")
    pages["search"] = reverse("articles:search") + "?q=massage"
    # Search's other answers, and the readers' report form and its thanks (#11).
    pages["search-empty"] = reverse("articles:search")
    pages["search-no-results"] = reverse("articles:search") + "?q=xylophone"
    pages["search-common-words"] = reverse("articles:search") + "?q=the"
    pages["search-did-you-mean"] = reverse("articles:search") + "?q=crmap"
    pages["feedback"] = reverse("articles:feedback") + "?page=/causes/"
    pages["feedback-thanks"] = reverse("articles:feedback_thanks") + "?page=/causes/"
    pages["not-found"] = "/articles/no-such-article/"
    return pages


PUBLIC_PAGES = _public_pages()


def open_page(browser, browser_context_args, **options):
    """A page in a context of its own, for a fixture to yield and then close."""
    context = browser.new_context(**browser_context_args, **options)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def axe_violations(page, ignore_within=None):
    """axe-core's WCAG A/AA violations on the page, as a readable report ("" when none).

    ignore_within maps a rule to a CSS selector where that rule alone is not checked.
    """
    ignore_within = ignore_within or {}
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    runs = [
        (None, {**options, "rules": {rule: {"enabled": False} for rule in ignore_within}}),
        *(
            ({"exclude": [[selector]]}, {"runOnly": {"type": "rule", "values": [rule]}})
            for rule, selector in ignore_within.items()
        ),
    ]
    reports = []
    for context, run_options in runs:
        results = Axe().run(page, context=context, options=run_options)
        if results.violations_count:
            reports.append(results.generate_report())
    return "\n".join(reports)


def sideways_overflow(page):
    """How many CSS pixels the page scrolls sideways (0 when it fits the window)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def text_smaller_than(page, min_px):
    """Visible text set smaller than min_px CSS pixels, as 'tag.class "text…": size'."""
    return page.evaluate(
        """(minPx) => {
          const small = [];
          for (const el of document.body.querySelectorAll("*")) {
            const text = [...el.childNodes]
              .filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("").trim();
            if (!text || !el.checkVisibility() || el.closest(".visually-hidden")) continue;
            const size = parseFloat(getComputedStyle(el).fontSize);
            if (size < minPx) {
              small.push(`${el.tagName.toLowerCase()}.${el.className} "${text.slice(0, 30)}": ${size}px`);
            }
          }
          return small;
        }""",
        min_px,
    )


# What the focused element looks like: its outline, and the outline's contrast against the
# background it is drawn on (the nearest ancestor with a background colour). null once focus
# has left the page or come round to an element it has already been on.
FOCUSED_ELEMENT_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  window.focusedBefore ??= new WeakSet();
  if (window.focusedBefore.has(el)) return null;
  window.focusedBefore.add(el);
  const rgb = (color) => color.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let behind = el.parentElement;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) {
    behind = behind.parentElement;
  }
  const style = getComputedStyle(el);
  const [l1, l2] = [luminance(rgb(style.outlineColor)),
    luminance(rgb(behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)"))];
  return {
    element: el.outerHTML.slice(0, 120),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    contrast: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
  };
}"""

# Links and controls a keyboard user should be able to reach.
FOCUSABLE_COUNT_JS = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
)].filter((el) => el.checkVisibility()).length"""


# The admin on the screens editors use (tests/browser/test_admin_layout.py, test_review.py).
SCREENS = {
    "phone-390": {"width": 390, "height": 844},
    "desktop-1280": {"width": 1280, "height": 800},
}

# Rounding of fractional widths may add a pixel; a layout that does not fit adds hundreds.
TOLERANCE_PX = 1

# Boxes that reach past either side of the window: those of `selector`, visible ones only.
OUTSIDE_THE_WINDOW_JS = """([selector, tolerance]) => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll(selector)]
    .filter((el) => el.checkVisibility())
    .map((el) => [el.id || el.className, el.getBoundingClientRect()])
    .filter(([, box]) => box.left < -tolerance || box.right > width + tolerance)
    .map(([name, box]) => `${name}: ${Math.round(box.left)} to ${Math.round(box.right)}px`);
}"""

# What each form's Markdown editors show, which must be whole on screen.
EDITOR_PARTS = ".markdownx-editor, .markdownx-preview, .edit-conflict"


def visit(page, url):
    """Open an admin page; on a change form, wait for markdownx's live previews to show."""
    page.goto(url)
    for preview in page.locator(".markdownx-preview").all():
        expect(preview).not_to_be_empty()


def screenshot(page, name, screen):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}--{screen}.png", full_page=True)


def fitting_problems(page):
    """What of the page does not fit the window: sideways scrolling, editors cut off."""
    problems = []
    if (overflow := sideways_overflow(page)) > TOLERANCE_PX:
        problems.append(f"the page scrolls sideways by {overflow}px")
    problems += page.evaluate(OUTSIDE_THE_WINDOW_JS, [EDITOR_PARTS, TOLERANCE_PX])
    return problems


def tab_to(page, target, limit=300):
    """Press Tab until `target` has the focus, which the keyboard then shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            break
    expect(target).to_be_focused()
    assert target.evaluate(
        "(el) => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none'"
    ), "the focus is not shown"
