"""How a change becomes live: drafts of live pages, review by a health professional, and
publishing, now or at a set time.

A published article or section is what readers see. An editor's change to it is kept as a
draft (a Revision) until it is published; so is a new page, once it is submitted. With
PUBLISHING_NEEDS_REVIEW on (the default), publishing takes a reviewer's approval, from someone
who did not write the change; the approval is recorded on the page ("Page last reviewed … by
…"). A superuser may publish without approval: that is recorded too, and readers then see "Not
yet reviewed by a health professional". Publishing saves the live row, so the page cache,
search, redirects and history follow as for any save.
docs/decisions/0005-drafts-and-review.md says why this is written here and not taken from a
library.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import PreviewLink, Revision, Status

State = Revision.State
REVIEW_PERMISSION = "articles.review_revision"


def review_required():
    return settings.PUBLISHING_NEEDS_REVIEW


def display_name(user):
    """A person as editors know them: their name, else their username."""
    return user.get_full_name() or user.get_username()


def can_review(user, revision=None):
    """A reviewer, and (for a given change) not one of its authors."""
    if not user.has_perm(REVIEW_PERMISSION):
        return False
    return revision is None or not revision.authors.filter(pk=user.pk).exists()


def can_publish_directly(user):
    """Publish without a reviewer's approval: anyone who may edit when the site does not
    ask for review, else only a superuser (and it is recorded)."""
    return not review_required() or user.is_superuser


def open_revision(obj):
    """The page's change not yet live, or None."""
    if obj.pk is None:
        return None
    return Revision.objects.of(obj).open().first()


def snapshot(obj):
    """The values of the page's editable fields, as a draft stores them."""
    return {
        field.attname: field.value_from_object(obj)
        for field in (obj._meta.get_field(name) for name in obj.draft_fields)
    }


def apply(obj, data):
    """Put a draft's values on `obj` (in memory) and work out its HTML, as a save would."""
    for name in obj.draft_fields:
        field = obj._meta.get_field(name)
        if field.attname not in data:
            continue
        value = field.to_python(data[field.attname])
        if field.is_relation and field.is_cached(obj) and value != getattr(obj, field.attname):
            field.delete_cached_value(obj)  # the draft points elsewhere
        setattr(obj, field.attname, value)
    obj.normalize_text()
    obj.render()
    return obj


def with_draft(obj):
    """The page as it will be once its open change is published (itself when there is none)."""
    revision = open_revision(obj)
    return apply(obj, revision.data) if revision is not None else obj


def is_live(obj):
    """Whether readers see the page now (from the database: `obj` may carry draft values).
    A page text, which has no status, always is."""
    if not hasattr(obj, "status"):
        return True
    return type(obj)._default_manager.filter(pk=obj.pk, status=Status.PUBLISHED).exists()


def save_draft(obj, user):
    """Keep `obj`'s values (an edited copy of the live row) as the page's open change; the
    row readers see is left alone. A change that was waiting for review, approved or sent back
    becomes a draft again: what is reviewed is what goes live."""
    revision = open_revision(obj) or Revision(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )
    revision.data = snapshot(obj)
    revision.saved_by = user
    revision.state = State.DRAFT
    revision.go_live_at = None
    revision.save()
    revision.authors.add(user)
    return revision


def submit(obj, user):
    """Ask for review. A page that was never published is submitted as it is."""
    revision = open_revision(obj)
    if revision is None:
        revision = save_draft(obj, user)
    revision.state = State.SUBMITTED
    revision.submitted_by = user
    revision.submitted_at = timezone.now()
    revision.review_comment = ""
    revision.save()
    return revision


def approve(revision, reviewer, role, go_live_at=None):
    """The reviewer's approval: the change goes live now, or at go_live_at."""
    if not can_review(reviewer, revision):
        raise PermissionDenied("Only a reviewer who did not write a change may approve it.")
    revision.reviewer = reviewer
    revision.reviewer_name = display_name(reviewer)
    revision.reviewer_role = role
    revision.reviewed_at = timezone.now()
    revision.review_comment = ""
    if go_live_at is not None and go_live_at > timezone.now():
        revision.state = State.APPROVED
        revision.go_live_at = go_live_at
        revision.save()
        return revision
    return publish(revision, reviewer)


def send_back(revision, reviewer, comment):
    if not can_review(reviewer, revision):
        raise PermissionDenied("Only a reviewer who did not write a change may send it back.")
    revision.state = State.SENT_BACK
    revision.reviewer = reviewer
    revision.reviewer_name = display_name(reviewer)
    revision.reviewed_at = timezone.now()
    revision.review_comment = comment
    revision.save()
    return revision


@transaction.atomic
def publish(revision, user, without_review=False):
    """Copy the change onto the live row and save it: readers see it from now on."""
    obj = revision.page
    before = snapshot(obj)
    was_live = obj.is_published
    apply(obj, revision.data)
    if hasattr(obj, "status"):
        obj.status = Status.PUBLISHED
    # Pages with a review line (articles and sections) record the review, or its absence.
    reviewed = hasattr(obj, "record_review")
    if without_review and review_required():  # a superuser's choice to skip it: readers are told
        if reviewed:
            obj.clear_review()
        reason = f"Published without review by {display_name(user)}"
    elif without_review:  # the site does not ask for review
        reason = f"Published by {display_name(user)}"
    else:
        if reviewed:
            obj.record_review(
                timezone.localdate(revision.reviewed_at),
                revision.reviewer_name,
                revision.reviewer_role,
            )
        reason = f"Published: approved by {revision.reviewer_name}, {revision.reviewer_role}"
    reader_fields = [obj._meta.get_field(name).attname for name in obj.reader_fields]
    if not was_live or any(before.get(name) != getattr(obj, name) for name in reader_fields):
        obj.text_changed = timezone.localdate()  # readers see it as "Last updated"
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
    revision.state = State.PUBLISHED
    revision.published_by = user
    revision.published_at = timezone.now()
    revision.without_review = without_review
    revision.save()
    return revision


def publish_now(obj, user):
    """Publish the page's change (or the unpublished page) without a reviewer's approval."""
    if not can_publish_directly(user):
        raise PermissionDenied("Publishing needs a reviewer's approval.")
    revision = open_revision(obj) or save_draft(obj, user)
    return publish(revision, user, without_review=True)


def discard(revision):
    revision.state = State.DISCARDED
    revision.save()


def unpublish(obj, user):
    """Take the page away from readers; any change in progress stays a draft."""
    obj.status = Status.DRAFT
    obj._history_user = user
    obj._change_reason = f"Unpublished by {display_name(user)}"
    obj.save()


def publish_due(now=None):
    """Publish the approved changes whose time has come; the number published."""
    published = 0
    for revision in Revision.objects.due(now).select_related("reviewer"):
        publish(revision, revision.reviewer)
        published += 1
    return published


def new_preview_link(obj, user, days=None):
    days = days or settings.PREVIEW_LINK_DAYS
    return PreviewLink.objects.create(
        token=secrets.token_urlsafe(32),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        created_by=user,
        expires=timezone.now() + timedelta(days=days),
    )


def preview_links(obj):
    """The page's preview links that still work."""
    return PreviewLink.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        revoked=None,
        expires__gt=timezone.now(),
    )
