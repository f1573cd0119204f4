"""Emails that keep a change moving: reviewers hear that one waits for them, authors that
theirs was sent back or published. Sent once the decision is committed (on_commit), and a
failure to send is logged, never the editor's error: the review queue and the change form
say the same."""

from django.conf import settings
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse


def site_url(path):
    return f"{settings.SITE_URL}{path}"


def change_url(obj):
    """The admin's form for obj (a page, or a change: the review page)."""
    return reverse(admin_urlname(obj._meta, "change"), args=[obj.pk])


def review_url(revision):
    return site_url(change_url(revision))


def page_name(revision):
    from .publishing import with_draft  # publishing calls this module

    return str(with_draft(revision.page)) if revision.page is not None else "a deleted page"


def reviewers_of(revision):
    """Who may approve it: the active users with the permission, not its authors."""
    users = get_user_model().objects.with_perm(
        "articles.review_revision",
        include_superusers=False,
        backend="django.contrib.auth.backends.ModelBackend",  # the one that knows groups
    )
    return users.exclude(pk__in=revision.authors.values("pk")).exclude(email="")


def authors_of(revision):
    return revision.authors.filter(is_active=True).exclude(email="")


def notify(users, subject, template, context):
    """One email per person (nobody sees the others' addresses), after the commit."""
    addresses = list(users.values_list("email", flat=True))
    if not addresses:
        return
    body = render_to_string(f"articles/email/{template}", context)
    messages = [(subject, body, None, [address]) for address in addresses]
    # robust: a mail server that fails is logged, and the decision stands.
    transaction.on_commit(lambda: send_mass_mail(messages), robust=True)


def change_submitted(revision):
    name = page_name(revision)
    notify(
        reviewers_of(revision),
        f"Waiting for your review: “{name}”",
        "change_submitted.txt",
        {"revision": revision, "page": name, "url": review_url(revision)},
    )


def change_sent_back(revision):
    name = page_name(revision)
    notify(
        authors_of(revision),
        f"Sent back: your change to “{name}”",
        "change_sent_back.txt",
        {"revision": revision, "page": name, "url": site_url(change_url(revision.page))},
    )


def change_published(revision, page, by):
    notify(
        authors_of(revision).exclude(pk=by.pk if by else None),
        f"Published: your change to “{page}”",
        "change_published.txt",
        {"revision": revision, "page": str(page), "url": site_url(page.get_absolute_url())},
    )
