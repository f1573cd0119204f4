import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from .history import DiffContextHelper
from .models import Article, EditConflict, Section

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
        (None, {"fields": ("title", "slug", "status", "intro", "base_version")}),
        ("When to get help", {"fields": ("help_level", "help_note")}),
        ("Review", {"fields": ("last_reviewed", "next_review_due")}),
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
        ("Dates", {"fields": ("created", "updated")}),
    )
    inlines = [SectionInline]

    def get_readonly_fields(self, request, obj=None):
        # The source text is typed in once, when an article is added, and then kept as is.
        return ("source_text", "created", "updated") if obj else ("created", "updated")

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
    readonly_fields = ("created", "updated")
    fields = (
        "article",
        "kind",
        "status",
        "heading",
        "heading_is_editorial",
        "slug",
        "position",
        "body",
        "help_level",
        "help_note",
        "base_version",
        "created",
        "updated",
    )
    prepopulated_fields = {"slug": ("heading",)}

    @admin.display(description="article", ordering="article__title")
    def article_link(self, obj):
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        return format_html('<a href="{}">{}</a>', url, obj.article)
