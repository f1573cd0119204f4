"""Settings for `make bench` only: production settings, plus the floor view's URL."""

from cramps_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
