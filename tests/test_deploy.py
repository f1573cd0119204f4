"""The deploy files agree with each other (the whole guide is rehearsed by
scripts/deploy-rehearsal, `make deploy-rehearsal`)."""

import re

from tests.helpers.servers import ROOT


def server_blocks(text):
    """The top-level `server { ... }` blocks of an nginx file, comments left out."""
    text = re.sub(r"#[^\n]*", "", text)
    return [block.strip() for block in re.findall(r"^server \{.*?^\}", text, re.M | re.S)]


def test_the_bootstrap_config_is_the_http_half_of_the_real_one():
    bootstrap = server_blocks((ROOT / "deploy/nginx-bootstrap.conf").read_text())
    full = server_blocks((ROOT / "deploy/nginx.conf").read_text())
    assert len(bootstrap) == 1 and len(full) >= 2  # the HTTPS server, and the front's origin part
    assert bootstrap[0] == full[0]
    assert "acme-challenge" in bootstrap[0] and "ssl_certificate" not in bootstrap[0]
