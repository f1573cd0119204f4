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

import hashlib
import json
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from . import notices
from .history import set_change_reason
from .models import Article, PreviewLink, Publishable, Reviewed, Revision, Section, Status

log = logging.getLogger(__name__)
State = Revision.State
REVIEW_PERMISSION = "articles.review_revision"


class PublishRefused(Exception):
    """The change cannot go live as it is: it changed since, or no longer fits the page."""


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
    return obj.revisions.open().first()


def open_changes(model):
    """{pk: the values its open change sets} for each of `model`'s pages with one, in one
    query: for previews that show many pages, and pages a change moves to them."""
    content_type = ContentType.objects.get_for_model(model)
    revisions = Revision.objects.open().filter(content_type=content_type)
    return {revision.object_id: revision.changed_data() for revision in revisions}


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


def drafted_copy(page, revision):
    """A fresh copy of the page as it will be once `revision` is published; `page` itself
    stays as readers see it."""
    fresh = type(page)._default_manager.get(pk=page.pk)
    return apply(fresh, revision.changed_data())


def with_draft(obj):
    """The page as it will be once its open change is published (itself when there is none)."""
    revision = open_revision(obj)
    return apply(obj, revision.changed_data()) if revision is not None else obj


def is_live(obj):
    """Whether readers see the page now (from the database: `obj` may carry draft values).
    A page text, which has no status, always is."""
    if not isinstance(obj, Publishable):
        return True
    return type(obj)._default_manager.filter(pk=obj.pk, status=Status.PUBLISHED).exists()


def save_draft(obj, user, restores=None):
    """Keep `obj`'s values (an edited copy of the live row) as the page's open change; the
    row readers see is left alone. A change that was waiting for review, approved or sent back
    becomes a draft again: what is reviewed is what goes live.

    `restores` names the old version a revert brings back. A later save keeps that mark while
    the values stay the same (saving to submit, say), and drops it once they change: the
    draft is then no longer that version."""
    revision = open_revision(obj) or Revision(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        base=snapshot(type(obj)._default_manager.get(pk=obj.pk)),
    )
    data = snapshot(obj)
    if restores is not None:
        revision.restores = restores
    elif encoded(data) != encoded(revision.data):
        revision.restores = ""
    revision.data = data
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
        if not obj.is_published:
            # A page never seen by readers was written on its own row: whoever saved it is
            # an author too, and may not approve it.
            editors = obj.history.exclude(history_user=None).values_list("history_user", flat=True)
            revision.authors.add(*set(editors))
    revision.state = State.SUBMITTED
    revision.submitted_by = user
    revision.submitted_at = timezone.now()
    revision.review_comment = ""
    revision.save()
    notices.change_submitted(revision)
    return revision


def encoded(data):
    """A change's values as stored (JSON), to compare them whether read back or not."""
    return json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder)


def digest(revision):
    """A fingerprint of the change's text, for a reviewer's page to say what it showed."""
    return hashlib.sha256(encoded(revision.data).encode()).hexdigest()


@transaction.atomic
def approve(revision, reviewer, role, go_live_at=None, seen=None):
    """The reviewer's approval: the change goes live now, or at go_live_at. PublishRefused if
    it changed since the reviewer saw it (`seen`, its digest then) or no longer fits."""
    if not can_review(reviewer, revision):
        raise PermissionDenied("Only a reviewer who did not write a change may approve it.")
    revision = claim(revision, State.SUBMITTED)
    if seen is not None and digest(revision) != seen:
        raise PublishRefused("The change was edited after you opened it: here it is again.")
    check(revision)
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


def claim(revision, *states):
    """The revision as stored now, locked until the transaction ends; PublishRefused when it
    is no longer in one of `states` (edited, discarded or published meanwhile)."""
    current = Revision.objects.select_for_update().filter(pk=revision.pk).first()
    if current is None or current.state not in states:
        raise PublishRefused("The change was edited, discarded or published meanwhile.")
    return current


def check(revision):
    """PublishRefused, saying why, when the page with the change would not be valid now (a
    slug taken meanwhile, a citation or anchor that no longer holds)."""
    page = revision.page
    if page is None:
        raise PublishRefused("The page was deleted.")
    apply(page, revision.changed_data())
    # Validated as the admin's form validates it: not what only saving sets (the loader's
    # seed_key, cleared when a section moves to another article) nor the status.
    fixed = [field.name for field in page._meta.fields if not field.editable]
    try:
        page.full_clean(exclude=[*fixed, "status"])
    except ValidationError as error:
        raise PublishRefused(" ".join(error.messages)) from error


@transaction.atomic
def send_back(revision, reviewer, comment):
    if not can_review(reviewer, revision):
        raise PermissionDenied("Only a reviewer who did not write a change may send it back.")
    revision = claim(revision, State.SUBMITTED)
    revision.state = State.SENT_BACK
    revision.reviewer = reviewer
    revision.reviewer_name = display_name(reviewer)
    revision.reviewed_at = timezone.now()
    revision.review_comment = comment
    revision.save()
    notices.change_sent_back(revision)
    return revision


@transaction.atomic
def publish(revision, user, without_review=False):
    """Copy the change onto the live row and save it: readers see it from now on."""
    obj = type(revision.page)._default_manager.select_for_update().get(pk=revision.object_id)
    before = snapshot(obj)
    was_live = obj.is_published
    apply(obj, revision.changed_data())
    if isinstance(obj, Publishable):
        obj.status = Status.PUBLISHED
    # Pages with a review line (articles and sections) record the review, or its absence.
    reviewed = isinstance(obj, Reviewed)
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
    if revision.restores:
        # A revert keeps its mark, first; who approved is kept whole on the revision (and the
        # page's review line) when the history's column shortens the reason.
        reason = f"Reverted to the version of {revision.restores} – {reason}"
    reader_fields = [obj._meta.get_field(name).attname for name in obj.reader_fields]
    if not was_live or any(before.get(name) != getattr(obj, name) for name in reader_fields):
        obj.text_changed = timezone.localdate()  # readers see it as "Last updated"
    # The history credits the change to who wrote it (the draft's last saver); the reason
    # says who approved or published it.
    obj._history_user = revision.saved_by or user
    set_change_reason(obj, reason)
    obj.save()
    revision.state = State.PUBLISHED
    revision.published_by = user
    revision.published_at = timezone.now()
    revision.without_review = without_review
    revision.save()
    close_preview_links(obj)
    notices.change_published(revision, obj, by=user)
    return revision


@transaction.atomic
def publish_now(obj, user):
    """Publish the page's change (or the unpublished page) without a reviewer's approval."""
    if not can_publish_directly(user):
        raise PermissionDenied("Publishing needs a reviewer's approval.")
    revision = claim(open_revision(obj) or save_draft(obj, user), *Revision.OPEN_STATES)
    check(revision)
    return publish(revision, user, without_review=True)


@transaction.atomic
def discard(revision):
    revision.state = State.DISCARDED
    revision.save()
    page = revision.page
    # A form still open on the draft is stale now: its save is refused, not a new draft.
    type(page)._default_manager.filter(pk=page.pk).update(version=models.F("version") + 1)
    close_preview_links(page)


@transaction.atomic
def unpublish(obj, user):
    """Take the page away from readers. A change waiting for review or approved to go live
    becomes a draft again, so nothing brings the page back without a new decision."""
    obj.status = Status.DRAFT
    obj._history_user = user
    set_change_reason(obj, f"Unpublished by {display_name(user)}")
    obj.save()
    obj.revisions.filter(state__in=[State.SUBMITTED, State.APPROVED]).update(
        state=State.DRAFT, go_live_at=None
    )


def publish_due(now=None):
    """Publish the approved changes whose time has come; the number published. One that can
    no longer go live is sent back to its author, saying why; the others still go."""
    published = 0
    for revision in Revision.objects.due(now).select_related("reviewer"):
        try:
            with transaction.atomic():
                revision = claim(revision, State.APPROVED)
                check(revision)
                publish(revision, revision.reviewer)
            published += 1
        except PublishRefused as refused:
            log.warning("Scheduled change %s not published: %s", revision.pk, refused)
            sent_back = Revision.objects.filter(pk=revision.pk, state=State.APPROVED).update(
                state=State.SENT_BACK,
                review_comment=f"Not published at its scheduled time: {refused}",
            )
            if sent_back:
                revision.refresh_from_db()
                notices.change_sent_back(revision)
    return published


def close_preview_links(page):
    """A page's preview links show its draft: once that is published or discarded, they go."""
    preview_links(page).update(revoked=timezone.now())


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
    return obj.preview_links.filter(revoked=None, expires__gt=timezone.now()).select_related(
        "created_by"
    )


@receiver(pre_delete, sender=Article, dispatch_uid="keep-sections-moving-to-a-deleted-article")
def keep_sections_moving_to(sender, instance, **kwargs):
    """A section's change that moves it to this article, which is being deleted, keeps the
    section in the article it is in (the rest of the change stands, as a draft again)."""
    moving_here = Revision.objects.open().filter(
        content_type=ContentType.objects.get_for_model(Section), data__article_id=instance.pk
    )
    for revision in moving_here.exclude(base__article_id=instance.pk):
        revision.data["article_id"] = revision.base["article_id"]
        revision.state = State.DRAFT
        revision.go_live_at = None
        revision.save()
