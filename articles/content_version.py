"""The content version: one database row, given a new random token in the same transaction
as every save or delete of anything a public page shows (articles/cache.py, content_changed).

The page cache and the front decide whether a stored page is current by this token alone, so
whatever state the cache server is in (down, flushed, full, restarted with old data), a page
from before a committed save can never pass as current: the version lives with the content.
"""

import secrets

from django.db import models

ROW = 1


class ContentVersion(models.Model):
    """One row (pk 1): the token that changes with every content save."""

    token = models.CharField(max_length=32)

    class Meta:
        app_label = "articles"

    def __str__(self):
        return self.token


def new_token():
    # Random rather than a counter: after a database restore, a counter would repeat values
    # that pages rendered from other content were stored under.
    return secrets.token_hex(8)


def current(using="default"):
    """The current token: one primary-key lookup."""
    found = list(ContentVersion.objects.using(using).filter(pk=ROW).values_list("token")[:1])
    if found:
        return found[0][0]
    # No row (a test flushed the table): start one; whoever raced us wins.
    return (
        ContentVersion.objects.using(using)
        .get_or_create(pk=ROW, defaults={"token": new_token()})[0]
        .token
    )


def bump(using="default"):
    """A new token, written in the caller's transaction: readers see it when they see the save."""
    token = new_token()
    if not ContentVersion.objects.using(using).filter(pk=ROW).update(token=token):
        ContentVersion.objects.using(using).update_or_create(pk=ROW, defaults={"token": token})
    return token
