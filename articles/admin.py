import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import sources
from .history import DiffContextHelper
from .models import (
    Article,
    EditConflict,
    Feedback,
    PageText,
    PromotedResult,
    SearchSynonym,
    Section,
)

IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(")


def conflict_message(obj):
    change = obj.last_change()
    who = "Someone"
    when = ""
    if change is not None:
        if change.history_user:
            who = change.history_user.get_full_name() or change.history_user.get_username()
        when = f" at {date_format(timezone.localtime(change.history_date), 'DATETIME_FORMAT')}"
    return (
        f"{who} saved this {obj._meta.verbose_name}{when}, after you opened it, so your "
        "changes have not been saved. Your text is still in the form below: copy what you "
        "need, open the page again to see their version, and make your changes there."
    )


class VersionCheckedForm(forms.ModelForm):
    """Refuses a save when someone else has saved since this form was opened."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An edit form always says which version it started from (none when adding).
            self.fields["base_version"].required = True
            # From the database, not the instance: a restored old version starts from the
            # current one too.
            self.fields["base_version"].initial = self._current_version()

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
        js = ["js/admin-upload-errors.js"]

    def get_historical_record_context_helper(self, request, historical_record):
        return DiffContextHelper(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        if not change or set(form.changed_data) & set(obj.reader_fields):
            obj.text_changed = timezone.localdate()  # readers see it as "Last updated"
        obj.save(expected_version=form.cleaned_data.get("base_version") if change else None)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Another save won the race after this form was validated. Nothing was written;
            # show the form again, which now reports the conflict and keeps the typed text.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # "Revert" saves through the same version check; a lost race is a conflict, as above.
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
        (None, {"fields": ("title", "slug", "status", "base_version")}),
        (
            "Introduction",
            {
                "fields": ("plain_intro", "intro", "source_sentences"),
                "description": "Readers see the plain-English introduction first, then the "
                "introduction as published. On the home page, the first paragraph of the "
                "introduction as published is quoted under “What night cramps are”.",
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
        (None, {"fields": ("article", "kind", "status", "slug", "position", "base_version")}),
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


@admin.register(PageText)
class PageTextAdmin(EditorialAdmin):
    """Texts with a fixed place on the site; editors change their words, not their place."""

    markdown_field = "body"
    list_display = ("__str__", "heading", "text_changed")
    fields = ("heading", "body", "base_version", "text_changed", "updated")
    readonly_fields = ("text_changed", "updated")

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
