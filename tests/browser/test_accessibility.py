"""axe-core finds no WCAG 2.2 A/AA violations on any public page, in light or dark."""

from .support import axe_violations


def test_no_accessibility_violations_in_light_or_dark(public_page, reader_page):
    _, path = public_page
    page = reader_page
    page.goto(path)
    violations = {}
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        if report := axe_violations(page):
            violations[color_scheme] = report
    assert not violations, "\n".join(f"{scheme}: {report}" for scheme, report in violations.items())
