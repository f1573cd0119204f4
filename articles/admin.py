import re
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
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

from . import sources
from .cache import cache_call
from .history import DiffContextHelper, readable_diff
from .models import (
    Article,
    EditConflict,
    Feedback,
    Kind,
    PageText,
    PromotedResult,
    SearchSynonym,
    Section,
)

IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(")
# How long an editor who opened a form counts as maybe still editing it.
OPENED_RECENTLY = timedelta(minutes=10)


def display_name(user):
    """A person as editors know them: their name, else their username."""
    return user.get_full_name() or user.get_username()


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
    who = "Someone"
    when = ""
    if change is not None:
        if change.history_user:
            who = display_name(change.history_user)
        when = f" at {date_format(timezone.localtime(change.history_date), 'DATETIME_FORMAT')}"
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


class EditorialAdmin(SimpleHistoryAdmin, MarkdownxModelAdmin):
    """History with readable differences and restore, and protection from lost updates."""

    form = VersionCheckedForm
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
            "history_url": reverse(
                f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history",
                args=[obj.pk],
            ),
        }
        return TemplateResponse(request, "admin/articles/compare_versions.html", context)

    def get_historical_record_context_helper(self, request, historical_record):
        return DiffContextHelper(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        restored = getattr(request, "restored_version", None)
        if restored is not None:
            obj._change_reason = f"Reverted to the version of {version_label(restored)}"
        if not change or set(form.changed_data) & set(obj.reader_fields):
            obj.text_changed = timezone.localdate()  # readers see it as "Last updated"
        obj.save(expected_version=form.cleaned_data.get("base_version") if change else None)
        if change:
            request.session.pop(self.conflict_key(obj.pk), None)  # their text is dealt with

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and object_id is not None:
            others = self.note_opened(request, object_id)
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
                for field in self.model.reader_fields
                if isinstance(form.data.get(field), str)
            },
            "opened": form.cleaned_data.get("base_record"),
        }
        self.message_user(request, conflict_message(form.instance), messages.ERROR)
        return HttpResponseRedirect(request.path, status=303)

    def conflict_context(self, object_id, conflict):
        """Per field the refused editor typed: what the other editor changed since the form
        was opened (when that version is known) and the refused editor's own text."""
        current = self.model._default_manager.filter(pk=object_id).first()
        if current is None:  # deleted since: the admin says so itself
            return None
        opened = None
        if conflict["opened"]:
            opened = current.history.filter(history_id=conflict["opened"]).first()
        fields = []
        for name, typed in conflict["typed"].items():
            now = str(getattr(current, name))
            before = str(getattr(opened, name)) if opened is not None else None
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

    def view_on_site(self, obj):
        # A relative link (the default goes through the sites framework's placeholder
        # domain); drafts open in the staff-only preview.
        return obj.get_preview_url() if not obj.is_published else obj.get_absolute_url()

    def response_change(self, request, obj):
        self.warn_about_missing_alt_text(request, obj)
        restored = getattr(request, "restored_version", None)
        if restored is not None:
            # Not the admin's "was changed successfully": say what happened.
            self.message_user(
                request,
                f"The {obj._meta.verbose_name} “{obj}” was reverted to the version of "
                f"{version_label(restored)}. The reverted text is a new version in its history.",
                messages.SUCCESS,
            )
            return self.response_post_save_change(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        self.warn_about_missing_alt_text(request, obj)
        return super().response_add(request, obj, post_url_continue)

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
class ArticleAdmin(EditorialAdmin):
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
        dates = ("source_sentences", "text_changed", "created", "updated")
        return ("source_text", *dates) if obj else dates

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
class SectionAdmin(EditorialAdmin):
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
class PageTextAdmin(EditorialAdmin):
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
        """The fields named for what they are in this text's place: headline, card title..."""
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            for name, (label, help_text) in PAGE_TEXT_PLACES.get(obj.key, ("", {}))[1].items():
                form.base_fields[name].label = capfirst(label)
                form.base_fields[name].help_text = help_text
        return form

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("articles:about" if obj.key == PageText.Key.ABOUT else "articles:home")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
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
