import re
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import models, transaction
from django.db.models import Case, Count, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import publishing, sources
from .cache import cache_call
from .history import DiffContextHelper, readable_diff, set_change_reason
from .models import (
    Article,
    EditConflict,
    Feedback,
    Kind,
    PageText,
    PreviewLink,
    PromotedResult,
    Publishable,
    Reviewed,
    Revision,
    SearchSynonym,
    Section,
    Status,
)
from .publishing import PublishRefused, display_name

IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(")
# How long an editor who opened a form counts as maybe still editing it.
OPENED_RECENTLY = timedelta(minutes=10)


def shown_value(field, obj):
    """A field's value on `obj` as the admin shows it to a person: a choice's label, the
    related page's name, yes or no, a date; "" for none."""
    value = field.value_from_object(obj)
    if value is None or value == "":
        return ""
    if field.is_relation:
        return str(getattr(obj, field.name))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return date_format(value)
    return str(value)


def as_typed(value):
    """A field's value as its form field shows it (nothing for no date)."""
    return "" if value is None else str(value)


def version_label(record):
    """A saved version as editors tell it apart: when, and by whom."""
    when = date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")
    return f"{when} by {display_name(record.history_user)}" if record.history_user else when


def is_conflict(form):
    return any(
        error.code == "edit_conflict" for error in form.errors.as_data().get(NON_FIELD_ERRORS, [])
    )


def conflict_message(obj):
    change = obj.last_change()
    user, moment = (change.history_user, change.history_date) if change else (None, None)
    draft = publishing.open_revision(obj)
    if draft is not None and (moment is None or draft.updated > moment):
        user, moment = draft.saved_by, draft.updated  # a draft of a change was saved last
    who = display_name(user) if user else "Someone"
    when = f" at {date_format(timezone.localtime(moment), 'DATETIME_FORMAT')}" if moment else ""
    return (
        f"{who} saved this {obj._meta.verbose_name}{when}, after you opened it, so your "
        "changes have not been saved. The form now shows their version; your text is under "
        "“Your changes, not saved”, beside what they changed. Copy what you need into the "
        "form and save again."
    )


# The hidden fields of VersionCheckedForm, which every edit form must include.
VERSION_FIELDS = ("base_version", "base_record")


class VersionCheckedForm(forms.ModelForm):
    """Refuses a save when someone else has saved since this form was opened."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The saved version (history record) the form opened, to show a refused editor what the
    # other editor changed since.
    base_record = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An edit form always says which version it started from (none when adding).
            self.fields["base_version"].required = True
            # From the database, not the instance: a restored old version starts from the
            # current one too.
            self.fields["base_version"].initial = self._current_version()
            latest = self.instance.history.values_list("history_id", flat=True).first()
            self.fields["base_record"].initial = latest

    def _current_version(self):
        model = type(self.instance)
        return (
            model._default_manager.filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )

    def clean(self):
        cleaned = super().clean()
        base = cleaned.get("base_version")
        if self.instance.pk is not None and base is not None and base != self._current_version():
            raise forms.ValidationError(conflict_message(self.instance), code="edit_conflict")
        return cleaned


class HistoryAdmin(SimpleHistoryAdmin):
    """simple_history's history and "Revert", which is changing: those who may only look
    (reviewers) cannot."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class EditorialAdmin(HistoryAdmin, MarkdownxModelAdmin):
    """History with readable differences and restore, and protection from lost updates."""

    form = VersionCheckedForm
    object_history_template = "admin/articles/object_history.html"
    object_history_list_template = "admin/articles/history_list.html"

    class Media:
        # The preview uses the site's own look, so it shows what readers will see.
        css = {"all": ["css/admin-preview.css"]}
        js = ["js/admin-upload-errors.js", "js/admin-editor-keys.js"]

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        compare = path(
            "<path:object_id>/history/compare/",
            self.admin_site.admin_view(self.compare_versions_view),
            name="{}_{}_compare".format(*info),
        )
        return [compare, *super().get_urls()]  # before simple_history's <version_id>/

    def saved_versions(self, object_id):
        """(history_id, label) of an object's saved versions, newest first."""
        records = self.model.history.filter(id=object_id).select_related("history_user")
        total = records.count()
        return [
            (record.history_id, f"{total - index}. {version_label(record)}")
            for index, record in enumerate(records[:500])
        ]

    def history_view(self, request, object_id, extra_context=None):
        versions = self.saved_versions(unquote(object_id))
        return super().history_view(
            request, object_id, {**(extra_context or {}), "versions": versions}
        )

    def compare_versions_view(self, request, object_id):
        """Any two saved versions, side by side as a word-level difference."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        records = obj.history.select_related("history_user")
        try:
            older = records.get(history_id=int(request.GET.get("from", "")))
            newer = records.get(history_id=int(request.GET.get("to", "")))
        except (ValueError, obj.history.model.DoesNotExist) as error:
            raise Http404 from error
        if older.history_date > newer.history_date:
            older, newer = newer, older
        delta = newer.diff_against(older, foreign_keys_are_objs=True)
        helper = DiffContextHelper(self.model, newer)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare versions: {obj}",
            "opts": self.model._meta,
            "object": obj,
            "older": version_label(older),
            "newer": version_label(newer),
            "changes": helper.context_for_delta_changes(delta),
            "history_url": self.admin_url(obj, "history"),
        }
        return TemplateResponse(request, "admin/articles/compare_versions.html", context)

    def admin_url(self, obj, name):
        """The address of one of this admin's pages for obj: "change", "history"..."""
        return reverse(admin_urlname(obj._meta, name), args=[obj.pk])

    def get_historical_record_context_helper(self, request, historical_record):
        return DiffContextHelper(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        restored = getattr(request, "restored_version", None)
        if restored is not None:
            set_change_reason(obj, f"Reverted to the version of {version_label(restored)}")
        if not change or set(form.changed_data) & set(obj.reader_fields):
            obj.text_changed = timezone.localdate()  # readers see it as "Last updated"
        obj.save(expected_version=form.cleaned_data.get("base_version") if change else None)
        if change:
            request.session.pop(self.conflict_key(obj.pk), None)  # their text is dealt with

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and object_id is not None:
            # Only who may change it can be editing it: who may only look (a reviewer) is
            # neither noted nor told.
            may_change = self.has_change_permission(request)
            others = self.note_opened(request, object_id) if may_change else []
            extra_context = {**(extra_context or {}), "also_opened": others}
            # Kept until the editor saves, so a reload does not lose their text.
            conflict = request.session.get(self.conflict_key(object_id))
            if conflict is not None:
                extra_context["conflict"] = self.conflict_context(object_id, conflict)
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Another save won the race after this form was validated. Nothing was written;
            # the form, validated again, now reports the conflict.
            response = super().changeform_view(request, object_id, form_url, extra_context)
        form = getattr(response, "context_data", {}).get("adminform")
        if request.method == "POST" and form is not None and is_conflict(form.form):
            return self.refuse_stale_save(request, object_id, form.form)
        return response

    def note_opened(self, request, object_id):
        """Note that this editor opened the form; return who else did in the last few
        minutes, as [(name, when)], so two editors know before they both type."""
        key = f"opened:{self.model._meta.label_lower}:{object_id}"
        now = timezone.now()
        # A note in the shared cache: while the cache fails, editors just are not told.
        recent = {
            user_id: (name, when)
            for user_id, (name, when) in (cache_call(cache.get, key) or {}).items()
            if now - when < OPENED_RECENTLY
        }
        others = [
            (name, timezone.localtime(when))
            for user_id, (name, when) in recent.items()
            if user_id != request.user.pk
        ]
        recent[request.user.pk] = (display_name(request.user), now)
        cache_call(cache.set, key, recent, OPENED_RECENTLY.total_seconds())
        return sorted(others, key=lambda other: other[1])

    def conflict_key(self, object_id):
        return f"edit-conflict:{self.model._meta.label_lower}:{object_id}"

    def refuse_stale_save(self, request, object_id, form):
        """Post/Redirect/Get: the editor's text waits in the session and the change form
        opens again on the current version, so reloading cannot send the refused form."""
        request.session[self.conflict_key(object_id)] = {
            "typed": {
                field: form.data[field]
                for field in form.fields
                if field in self.typed_fields() and isinstance(form.data.get(field), str)
            },
            "opened": form.cleaned_data.get("base_record"),
        }
        self.message_user(request, conflict_message(form.instance), messages.ERROR)
        return HttpResponseRedirect(request.path, status=303)

    def typed_fields(self):
        """The fields whose text an editor types (words, addresses, dates): what a refused
        save keeps for them to see beside the other editor's change."""
        typed = (models.CharField, models.TextField, models.DateField)
        return {field.name for field in self.model._meta.fields if isinstance(field, typed)}

    def conflict_context(self, object_id, conflict):
        """Per field the refused editor typed: what the other editor changed since the form
        was opened (when that version is known) and the refused editor's own text."""
        current = self.model._default_manager.filter(pk=object_id).first()
        if current is None:  # deleted since: the admin says so itself
            return None
        current = publishing.with_draft(current)  # what the form shows
        opened = None
        if conflict["opened"]:
            opened = current.history.filter(history_id=conflict["opened"]).first()
        fields = []
        for name, typed in conflict["typed"].items():
            now = as_typed(getattr(current, name))
            before = as_typed(getattr(opened, name)) if opened is not None else None
            if typed.replace("\r\n", "\n") == now and before in (None, now):
                continue
            fields.append(
                {
                    "name": name,
                    "label": capfirst(self.model._meta.get_field(name).verbose_name),
                    "theirs": readable_diff(before, now) if before not in (None, now) else None,
                    "yours": typed,
                }
            )
        return {"fields": fields, "known": opened is not None}

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # "Revert" saves through the same version check; a lost race is a conflict, as above.
        request.restored_version = (
            self.model.history.filter(id=object_id, history_id=version_id)
            .select_related("history_user")
            .first()
            if request.method == "POST"
            else None
        )
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except EditConflict:
            return super().history_form_view(request, object_id, version_id, extra_context)

    def warn_about_missing_alt_text(self, request, obj):
        text = getattr(obj, self.markdown_field)
        missing = len(IMAGE_WITHOUT_ALT.findall(text or ""))
        if missing:
            self.message_user(
                request,
                f"{missing} image(s) have no description (alt text), so readers who cannot "
                "see them miss what they show. Write one between the brackets: "
                "![What the image shows](...).",
                messages.WARNING,
            )


REVIEW_FIELDS = ("last_reviewed", "reviewed_by", "reviewer_role")
# The change form's buttons for publishing (submit_line.html), besides the admin's own Save.
SUBMIT, PUBLISH = "_submit", "_publish"


class DraftingAdmin(EditorialAdmin):
    """Articles and sections: a change to a published page is a draft until it is published,
    with a reviewer's approval where the site asks for one (articles/publishing.py).

    The change form opens on the draft when there is one. Saving keeps the change as the
    draft (the live row's version moves on, so two editors of one draft are told of each
    other as for any save); "Submit for review" and "Publish" then act on it."""

    change_form_template = "admin/articles/drafting_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        if issubclass(self.model, Publishable):
            fields.append("status")  # changed by publishing and unpublishing, not typed
        if publishing.review_required() and issubclass(self.model, Reviewed):
            fields += REVIEW_FIELDS  # recorded by a reviewer's approval, not typed
        return fields

    def get_object(self, request, object_id, from_field=None):
        """The change form edits the page's open draft; the other views (delete, compare) see
        the page as readers do."""
        obj = super().get_object(request, object_id, from_field)
        change_view = f"{self.opts.app_label}_{self.opts.model_name}_change"
        if obj is None or getattr(request.resolver_match, "url_name", None) != change_view:
            return obj
        return publishing.with_draft(obj)

    def get_deleted_objects(self, objs, request):
        """A page's changes and preview links belong to it and go with it: deleting the page
        needs no permission to delete them on their own (nobody has that)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        owned = {str(Revision._meta.verbose_name), str(PreviewLink._meta.verbose_name)}
        perms_needed = {name for name in perms_needed if str(name) not in owned}
        return deleted, counts, perms_needed, protected

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        views = [
            ("unpublish", self.unpublish_view),
            ("discard-draft", self.discard_view),
            ("preview-links", self.preview_links_view),
        ]
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    self.admin_site.admin_view(view),
                    name="{}_{}_{}".format(*info, name.replace("-", "_")),
                )
                for name, view in views
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if PUBLISH in request.POST and not publishing.can_publish_directly(request.user):
            raise PermissionDenied
        live = None
        if object_id is not None:
            live = self.model._default_manager.filter(pk=unquote(object_id)).first()
        extra_context = {
            **(extra_context or {}),
            "publishing": self.publishing_context(request, live),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def publishing_context(self, request, live):
        """Where the page stands, for the form's panel and buttons; `live` is the row
        readers see (None when adding)."""
        context = {
            "review_required": publishing.review_required(),
            "can_publish": publishing.can_publish_directly(request.user),
            "link_days": settings.PREVIEW_LINK_DAYS,
        }
        if live is not None:
            revision = publishing.open_revision(live)
            context |= {
                "live": live.is_published,
                "can_unpublish": isinstance(live, Publishable),
                "address": live.get_absolute_url(),
                "revision": revision,
                # The page as its draft has it (a copy: `live` stays what readers see).
                "draft": publishing.drafted_copy(live, revision) if revision else live,
                "preview_url": live.get_preview_url(),
                "links": publishing.preview_links(live),
                "links_url": self.admin_url(live, "preview_links"),
                "discard_url": self.admin_url(live, "discard_draft"),
                "unpublish_url": self.admin_url(live, "unpublish"),
            }
        return context

    def save_model(self, request, obj, form, change):
        if change and (publishing.is_live(obj) or publishing.open_revision(obj)):
            # Readers keep the live version: the change waits as the page's draft (whose
            # status and review are the live page's: a revert to an old version carries them).
            self.keep_publishing_fields(obj)
            with transaction.atomic():
                obj.bump_version(form.cleaned_data["base_version"])
                publishing.save_draft(obj, request.user, restores=self.restored(request))
            request.session.pop(self.conflict_key(obj.pk), None)
            request.publishing_outcome = self.reverted(request) + (
                f"Your change to “{obj}” is saved as a draft. Readers still see the published "
                "version. Preview the draft, then "
                + (
                    "submit it for review."
                    if publishing.review_required()
                    else "publish it when it is ready."
                )
            )
        else:
            # A page readers do not see yet is saved as it is; never published by it, nor
            # given a review (a form, or a revert to an old version, may carry either).
            self.keep_publishing_fields(obj)
            super().save_model(request, obj, form, change)
            request.publishing_outcome = self.reverted(request) + (
                f"“{obj}” is saved. It is a draft: readers do not see it until it is published."
            )
        if SUBMIT in request.POST or PUBLISH in request.POST:
            self.submit_or_publish(request, obj)

    def keep_publishing_fields(self, obj):
        """Status and (where review is asked for) the review, as stored: only publishing
        and unpublishing change them."""
        stored = self.model._default_manager.filter(pk=obj.pk).first() if obj.pk else None
        if isinstance(obj, Publishable):
            obj.status = stored.status if stored else Status.DRAFT
        if publishing.review_required() and isinstance(obj, Reviewed):
            if stored is None:
                obj.clear_review()
            else:
                obj.record_review(stored.last_reviewed, stored.reviewed_by, stored.reviewer_role)

    def restored(self, request):
        """The old version this save reverts to ("<when> by <who>"), or None."""
        restored = getattr(request, "restored_version", None)
        return version_label(restored) if restored is not None else None

    def reverted(self, request):
        restored = self.restored(request)
        if restored is None:
            return ""
        # The version's time ends in "p.m." or "a.m.": no full stop straight after it.
        return f"Reverted to the version of {restored} (restored as a new version). "

    def submit_or_publish(self, request, obj):
        missing = len(IMAGE_WITHOUT_ALT.findall(getattr(obj, self.markdown_field) or ""))
        if missing:
            request.publishing_outcome += (
                f" It was not {'submitted' if SUBMIT in request.POST else 'published'}: "
                f"{missing} image(s) have no description (alt text). Add one, then try again."
            )
            return
        if SUBMIT in request.POST:
            publishing.submit(obj, request.user)
            request.publishing_outcome = self.reverted(request) + (
                f"“{obj}” is waiting for review by a health professional. Readers see "
                + ("the published version" if obj.is_published else "nothing of it")
                + " until a reviewer approves it."
            )
        else:
            try:
                publishing.publish_now(obj, request.user)
            except PublishRefused as refused:
                request.publishing_outcome += f" It was not published: {refused}"
                return
            request.publishing_outcome = (
                self.reverted(request) + f"“{obj}” is published: readers see it now."
            ) + (
                " It is recorded as published without review, so readers see “Not yet "
                "reviewed by a health professional”."
                if publishing.review_required()
                else ""
            )

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_change(request, obj)

    def response_change(self, request, obj):
        """Say what became of the save (save_model's outcome, not the admin's "changed
        successfully"); then, as the admin does, back to the list, or to the form with
        "continue editing"."""
        self.warn_about_missing_alt_text(request, obj)
        self.message_user(request, request.publishing_outcome, messages.SUCCESS)
        if "_continue" in request.POST:
            return HttpResponseRedirect(self.admin_url(obj, "change"))
        return self.response_post_save_change(request, obj)

    def view_on_site(self, obj):
        # The live page; a draft (of a new page or of a change) opens in the staff preview.
        live = self.model._default_manager.filter(pk=obj.pk).first()
        if live is None or not live.is_published or publishing.open_revision(live):
            return (live or obj).get_preview_url()
        return live.get_absolute_url()

    def live_object_or_404(self, request, object_id):
        obj = self.model._default_manager.filter(pk=unquote(object_id)).first()
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def unpublish_view(self, request, object_id):
        """Asks first, saying what readers will see; then takes the page off the site."""
        obj = self.live_object_or_404(request, object_id)
        if not isinstance(obj, Publishable):
            raise Http404  # a page text is always shown
        if request.method == "POST" and obj.is_published:
            publishing.unpublish(obj, request.user)
            self.message_user(
                request,
                f"“{obj}” is unpublished: readers now get “page not found” at its address.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self.admin_url(obj, "change"))
        return self.confirmation(
            request,
            obj,
            "unpublish",
            f"Unpublish “{obj}”?",
            possible=obj.is_published,
            address=obj.get_absolute_url(),
            sections=obj.sections.published() if isinstance(obj, Article) else None,
        )

    def discard_view(self, request, object_id):
        obj = self.live_object_or_404(request, object_id)
        revision = publishing.open_revision(obj)
        if request.method == "POST" and revision is not None:
            publishing.discard(revision)
            self.message_user(request, f"The draft of “{obj}” is discarded.", messages.SUCCESS)
            return HttpResponseRedirect(self.admin_url(obj, "change"))
        return self.confirmation(
            request,
            obj,
            "discard_draft",
            f"Discard the draft of “{obj}”?",
            possible=revision is not None,
            revision=revision,
        )

    def confirmation(self, request, obj, name, title, **context):
        """The page that asks before a publishing step: templates/admin/articles/<name>.html,
        on the common frame of confirm.html."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "object": obj,
            "change_url": self.admin_url(obj, "change"),
            **context,
        }
        return TemplateResponse(request, f"admin/articles/{name}.html", context)

    def preview_links_view(self, request, object_id):
        """POST only: make a preview link for people without an account, or revoke one."""
        obj = self.live_object_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self.admin_url(obj, "change"))
        if "revoke" in request.POST:
            link = request.POST["revoke"]
            publishing.preview_links(obj).filter(pk=int(link) if link.isdigit() else None).update(
                revoked=timezone.now()
            )
            self.message_user(request, "The preview link is revoked: it no longer opens.")
        else:
            link = publishing.new_preview_link(obj, request.user)
            url = request.build_absolute_uri(link.get_absolute_url())
            self.message_user(
                request,
                format_html(
                    'Preview link, for anyone you give it to, until {}: <a href="{}">{}</a>',
                    date_format(timezone.localtime(link.expires), "DATETIME_FORMAT"),
                    url,
                    url,
                ),
            )
        return HttpResponseRedirect(self.admin_url(obj, "change"))


def source_sentence_list(article):
    """The article's source sentences with the ids to cite them by, for editors to copy."""
    if article is None or not article.source_text:
        return "Save the section with its article first; the article's sentences then show here."
    rows = format_html_join(
        "",
        "<li><code>[@{}]</code> {}</li>",
        ((sentence.id, sentence.text) for sentence in sources.sentences(article.source_text)),
    )
    return format_html('<ol class="source-sentences">{}</ol>', rows)


class SectionInline(admin.TabularInline):
    """The article's sections at a glance; each opens in its own editor with live preview."""

    model = Section
    fields = ("position", "heading", "kind", "status", "slug", "updated")
    # Read-only: a section is changed in its own form, where edit conflicts are checked.
    readonly_fields = fields
    ordering = ("position", "pk")
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = "Sections (open one to edit it, its position included)"

    def has_add_permission(self, request, obj=None):
        return False


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("never", "Never reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "never":
            return queryset.filter(last_reviewed__isnull=True)
        return queryset


@admin.register(Article)
class ArticleAdmin(DraftingAdmin):
    markdown_field = "intro"
    list_display = (
        "title",
        "status",
        "publisher",
        "section_count",
        "last_reviewed",
        "review_due",
        "updated",
    )
    list_filter = ("status", ReviewFilter)
    search_fields = ("title", "publisher", "intro", "source_text")
    prepopulated_fields = {"slug": ("title",)}
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", *VERSION_FIELDS)}),
        (
            "Introduction",
            {
                "fields": ("plain_intro", "intro", "source_sentences"),
                "description": "Readers see the plain-English introduction first, then the "
                "introduction as published. On the home page, the first paragraph of the "
                "introduction as published (“Introduction” below) is quoted under “What night "
                "cramps are”.",
            },
        ),
        ("When to get help", {"fields": ("help_level", "help_note")}),
        (
            "Review by a health professional",
            {"fields": ("last_reviewed", "reviewed_by", "reviewer_role", "next_review_due")},
        ),
        (
            "Where it came from",
            {
                "fields": (
                    "publisher",
                    "publisher_category",
                    "source_title",
                    "source_note",
                    "source_text",
                ),
            },
        ),
        ("Dates", {"fields": ("text_changed", "created", "updated")}),
    )
    inlines = [SectionInline]

    def get_readonly_fields(self, request, obj=None):
        # The source text is typed in once, when an article is added, and then kept as is.
        fields = super().get_readonly_fields(request, obj)
        dates = ("source_sentences", "text_changed", "created", "updated")
        return [*fields, "source_text", *dates] if obj else [*fields, *dates]

    @admin.display(description="source sentences, to cite")
    def source_sentences(self, obj):
        return source_sentence_list(obj if obj and obj.pk else None)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_total=Count("sections"))

    @admin.display(description="sections", ordering="section_total")
    def section_count(self, obj):
        return obj.section_total

    @admin.display(description="next review due", ordering="next_review_due")
    def review_due(self, obj):
        if obj.next_review_due is None:
            return "—"
        if obj.next_review_due < timezone.localdate():
            return format_html(
                '<strong class="review-overdue">{} (overdue)</strong>', obj.next_review_due
            )
        return obj.next_review_due


@admin.register(Section)
class SectionAdmin(DraftingAdmin):
    markdown_field = "body"
    list_display = ("heading", "article_link", "kind", "status", "position", "updated")
    list_filter = ("kind", "status", "article")
    search_fields = ("heading", "body", "article__title")
    list_select_related = ("article",)
    readonly_fields = ("source_sentences", "text_changed", "created", "updated")
    fieldsets = (
        (None, {"fields": ("article", "kind", "status", "slug", "position", *VERSION_FIELDS)}),
        (
            "Plain English: what readers see first",
            {
                "fields": ("plain_heading", "plain", "source_sentences"),
                "description": "Restate only what the source says, in short sentences and "
                "numbered steps, and end each paragraph and step with the source sentence(s) "
                "it restates: [@sentence-id]. Copy ids from the list below.",
            },
        ),
        (
            "As published: the source's wording",
            {"fields": ("heading", "heading_is_editorial", "body")},
        ),
        ("When to get help", {"fields": ("help_level", "help_note")}),
        (
            "Review by a health professional",
            {
                "fields": REVIEW_FIELDS,
                "description": "Recorded when a reviewer approves a change for publishing.",
            },
        ),
        (
            "When shared",
            {
                "fields": ("share_title", "share_description"),
                "description": "What a link to this section shows on social media and in "
                "messages. Empty: the plain-English heading and the start of its text.",
            },
        ),
        ("Dates", {"fields": ("text_changed", "created", "updated")}),
    )
    prepopulated_fields = {"slug": ("heading",)}

    @admin.display(description="source sentences, to cite")
    def source_sentences(self, obj):
        return source_sentence_list(obj.article if obj and obj.article_id else None)

    @admin.display(description="article", ordering="article__title")
    def article_link(self, obj):
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        return format_html('<a href="{}">{}</a>', url, obj.article)


ONE_PARAGRAPH_HELP = (
    "One paragraph: no headings, lists or blank lines. These are the site's own words, so "
    "they cite nothing; add no medical claim."
)
CARD_FIELDS = {
    "heading": ("card title", "In bold on the card. Plain text."),
    "body": (
        "card description",
        "One short line under the title. No links: the card is a link itself. "
        + ONE_PARAGRAPH_HELP,
    ),
}


def card_place(kind):
    """Where a topic's card appears, and whether its page follows it (views.topic)."""
    page = (
        f"The {kind.label} page has the same title, and its lead paragraph starts with the "
        "description."
        if kind == Kind.RELIEF
        else f"The {kind.label} page keeps its own title, “{kind.title}”."
    )
    return (
        f"On the home page, the card for {kind.label} under “Choose a topic”, which opens the "
        f"{kind.label} page. {page}"
    )


# Per text: where it appears, in more words than its name, and its fields' labels and help.
PAGE_TEXT_PLACES = {
    PageText.Key.HOME: (
        "The top of the home page: the headline (the page's main heading) and the paragraph "
        "under the “During a cramp” box that says what the site is.",
        {
            "heading": ("headline", "The home page's main heading. Plain text."),
            "body": ("lead", f"The paragraph that says what the site is. {ONE_PARAGRAPH_HELP}"),
        },
    ),
    **{key: (card_place(kind), CARD_FIELDS) for kind, key in PageText.TOPIC_CARDS.items()},
    PageText.Key.DISCLAIMER: (
        "The note at the foot of the home page. Other pages show the standard wording, which "
        "is what this text was shipped with.",
        {
            "heading": ("opening words", "In bold at the start of the note. Plain text."),
            "body": ("disclaimer", f"The rest of the note. {ONE_PARAGRAPH_HELP}"),
        },
    ),
    PageText.Key.DURING_A_CRAMP: (
        "The box that opens the home page and the Relief page.",
        {},
    ),
    PageText.Key.ABOUT: ("The About page (“About this site”, linked from every page).", {}),
}


PAGE_TEXT_ORDER = Case(*(When(key=key, then=Value(i)) for i, key in enumerate(PageText.Key)))


@admin.register(PageText)
class PageTextAdmin(DraftingAdmin):
    """Texts with a fixed place on the site; editors change their words, not their place."""

    markdown_field = "body"
    list_display = ("place", "heading", "text_changed")
    # In the order readers meet them: the home page's, top to bottom, then the About page.
    ordering = (PAGE_TEXT_ORDER,)
    fields = ("where", "heading", "body", *VERSION_FIELDS, "text_changed", "updated")
    readonly_fields = ("where", "text_changed", "updated")

    @admin.display(description="where it appears", ordering=PAGE_TEXT_ORDER)
    def place(self, obj):
        return obj.get_key_display()

    @admin.display(description="where it appears")
    def where(self, obj):
        return PAGE_TEXT_PLACES.get(obj.key, (obj.get_key_display(),))[0]

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The fields named for what they are in this text's place: headline, card title...
        Given to the form's Meta, which also names them when they are read-only (for those
        who may only look, whose form has no fields)."""
        if obj is not None:
            names = PAGE_TEXT_PLACES.get(obj.key, ("", {}))[1]
            kwargs.setdefault("labels", {n: capfirst(label) for n, (label, _) in names.items()})
            kwargs.setdefault("help_texts", {n: text for n, (_, text) in names.items()})
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SearchSynonym)
class SearchSynonymAdmin(HistoryAdmin):
    list_display = ["term", "meaning"]
    search_fields = ["term", "meaning"]


@admin.register(PromotedResult)
class PromotedResultAdmin(admin.ModelAdmin):
    list_display = ["query", "section", "order"]
    list_filter = ["section__kind"]
    search_fields = ["query"]
    autocomplete_fields = ["section"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Readers' reports. What readers wrote is shown as text: the admin escapes it."""

    list_display = ["created", "page", "status", "summary", "email"]
    list_filter = ["status", "page", "created"]
    list_editable = ["status"]
    search_fields = ["message", "email", "page"]
    date_hierarchy = "created"
    fields = ["page_link", "created", "message", "email", "status"]
    readonly_fields = ["page_link", "created", "message", "email"]

    @admin.display(description="what is wrong")
    def summary(self, obj):
        return Truncator(obj.message).chars(80)

    @admin.display(description="page")
    def page_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.page, obj.page)

    def has_add_permission(self, request):
        return False  # reports come from readers


class ReviewForm(forms.Form):
    """A reviewer's decision on a change: approve (now, or from a set time) or send back."""

    reviewer_role = forms.CharField(
        label="Your role, as readers will see it",
        max_length=200,
        required=False,
        help_text="For example “general practitioner”. Readers see “Page last reviewed: date by "
        "your name, this role”.",
    )
    go_live_at = forms.DateTimeField(
        label="Go live at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty to publish as soon as you approve. Otherwise the change goes "
        "live within a minute after this time (site time).",
    )
    comment = forms.CharField(
        label="Comment for the author",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you send the change back: say what to change.",
    )

    # What the page showed the reviewer (publishing.digest): a change edited since is not
    # approved unseen.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, approve, **kwargs):
        super().__init__(*args, **kwargs)
        self.approve = approve

    def clean(self):
        cleaned = super().clean()
        if self.approve and not cleaned.get("reviewer_role", "").strip():
            self.add_error("reviewer_role", "Say in what role you reviewed it.")
        if not self.approve and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what the author should change.")
        go_live_at = cleaned.get("go_live_at")
        if self.approve and go_live_at is not None and go_live_at <= timezone.now():
            self.add_error("go_live_at", "Choose a time in the future, or leave it empty.")
        return cleaned


# The kinds of page a change can be to.
MODELS = (Article, Section, PageText)


class PageTypeFilter(admin.SimpleListFilter):
    """Changes to articles, sections or page texts (not every content type there is)."""

    title = "type of page"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(model._meta.model_name, capfirst(model._meta.verbose_name)) for model in MODELS]

    def queryset(self, request, queryset):
        for model in MODELS:
            if self.value() == model._meta.model_name:
                return queryset.filter(content_type=ContentType.objects.get_for_model(model))
        return queryset


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """The review queue: changes waiting for a health professional's approval, each shown
    against the live text, to approve or send back (articles/publishing.py)."""

    list_display = ("page_name", "kind", "state", "submitter", "submitted_at", "go_live_at")
    list_filter = ("state", PageTypeFilter)
    list_select_related = ("content_type", "submitted_by")
    change_form_template = "admin/articles/review.html"

    class Media:
        css = {"all": ["css/admin-preview.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("page")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(publishing.REVIEW_PERMISSION)

    @admin.display(description="page")
    def page_name(self, obj):
        return str(obj.page)

    @admin.display(description="type", ordering="content_type")
    def kind(self, obj):
        return capfirst(obj.content_type.name)

    @admin.display(description="submitted by", ordering="submitted_by")
    def submitter(self, obj):
        return display_name(obj.submitted_by) if obj.submitted_by else "—"

    def changelist_view(self, request, extra_context=None):
        # The queue opens on what waits for review; the filters show the rest, for the record.
        if not request.GET and request.user.has_perm(publishing.REVIEW_PERMISSION):
            return HttpResponseRedirect(f"{request.path}?state__exact={Revision.State.SUBMITTED}")
        return super().changelist_view(
            request, {"title": "Changes for review", **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        revision = self.get_object(request, unquote(object_id))
        if revision is None or revision.page is None:
            raise Http404
        if not self.has_view_or_change_permission(request, revision):
            raise PermissionDenied
        may_review = revision.state == Revision.State.SUBMITTED and publishing.can_review(
            request.user, revision
        )
        approve = "_approve" in request.POST
        if request.method == "POST":
            if not may_review:
                raise PermissionDenied
            form = ReviewForm(request.POST, approve=approve)
            if form.is_valid():
                return self.decide(request, revision, form)
        else:
            form = ReviewForm(
                approve=True,
                initial={
                    "reviewer_role": self.last_role(request),
                    "seen": publishing.digest(revision),
                },
            )
        page = revision.page
        draft = publishing.drafted_copy(page, revision)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review: {page}",
            "opts": self.model._meta,
            "revision": revision,
            "page": page,
            "live": page.is_published,
            "changes": self.changes(page, draft),
            "preview_url": page.get_preview_url(),
            "draft": draft,
            "form": form,
            "may_review": may_review,
            "is_author": revision.authors.filter(pk=request.user.pk).exists(),
            "has_name": bool(request.user.get_full_name()),
            "queue_url": reverse("admin:articles_revision_changelist"),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def last_role(self, request):
        return (
            Revision.objects.filter(reviewer=request.user)
            .exclude(reviewer_role="")
            .order_by("-reviewed_at")
            .values_list("reviewer_role", flat=True)
            .first()
        )

    def changes(self, page, draft):
        """Per field the change touches: its label and the words removed and added, as the
        reviewer reads them (a choice's label, yes or no, a date; a field left empty is no
        change)."""
        live = page if page.is_published else None
        rows = []
        for name in page.draft_fields:
            field = page._meta.get_field(name)
            before = shown_value(field, live) if live is not None else ""
            after = shown_value(field, draft)
            if before != after:
                label = capfirst(field.verbose_name)
                rows.append({"label": label, "diff": readable_diff(before, after)})
        return rows

    def decide(self, request, revision, form):
        if form.approve and not request.user.get_full_name():
            self.message_user(
                request,
                "Your account has no full name, and readers see the reviewer's name. Ask an "
                "administrator to add it, then approve.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        try:
            message = self.carry_out(request, revision, form)
        except PublishRefused as refused:
            self.message_user(request, f"Not done: {refused}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:articles_revision_changelist"))

    def carry_out(self, request, revision, form):
        page = publishing.with_draft(revision.page)  # named as it will read, as the change has it
        if form.approve:
            revision = publishing.approve(
                revision,
                request.user,
                form.cleaned_data["reviewer_role"].strip(),
                form.cleaned_data["go_live_at"],
                seen=form.cleaned_data["seen"],
            )
            if revision.state == Revision.State.APPROVED:
                when = date_format(timezone.localtime(revision.go_live_at), "DATETIME_FORMAT")
                message = f"Approved: “{page}” goes live at {when} (within a minute)."
            elif isinstance(page, Section) and not page.article.is_published:
                message = (
                    f"Approved and published: readers see “{page}” once its article is published."
                )
            else:
                message = f"Approved and published: readers see “{page}” now."
        else:
            publishing.send_back(revision, request.user, form.cleaned_data["comment"].strip())
            message = f"Sent back: the author of “{page}” sees your comment on its form."
        return message
