"""Loads the admin's section editor in Chromium and prints any Content-Security-Policy
violation, as JSON. Run as its own process by tests/test_security.py: Playwright's sync API
cannot start inside the browser suite's running session (pytest-playwright's event loop).

Usage: python -m tests.csp_probe BASE_URL USERNAME PASSWORD
"""

import json
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def probe(base_url, username, password):
    violations = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # Plain HTTP to loopback, which Chromium counts as a secure context (Secure cookies
            # are kept); the policy is the same as over HTTPS.
            context = browser.new_context(base_url=base_url)
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation', e =>"
                " (window.__violations = window.__violations || []).push("
                "e.violatedDirective + ' ' + e.blockedURI));"
            )
            page.on(
                "console",
                lambda message: (
                    violations.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto("/admin/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/admin/")
            page.goto("/admin/articles/section/")
            href = page.locator("#result_list tbody th a").first.get_attribute("href")
            page.goto(href.split("?")[0])
            textarea = page.locator("textarea#id_body")
            textarea.fill("### Checked in a browser {#checked}\n\nUnder the policy.")
            page.locator(".markdownx:has(#id_body) .markdownx-preview #checked").wait_for()
            violations += page.evaluate("window.__violations || []")
        finally:
            browser.close()
    return violations


if __name__ == "__main__":
    print(json.dumps(probe(*sys.argv[1:4])))
