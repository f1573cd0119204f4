from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from markdownx.admin import MarkdownxModelAdmin

from .models import Article, Section


class SectionInline(admin.TabularInline):
    """The article's sections at a glance; each opens in its own editor with live preview."""

    model = Section
    fields = ("position", "heading", "kind", "slug", "updated")
    readonly_fields = ("heading", "kind", "slug", "updated")
    ordering = ("position", "pk")
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = "Sections (open one to edit its text; reorder with the position)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(MarkdownxModelAdmin):
    list_display = ("title", "publisher", "section_count", "updated", "view_source")
    search_fields = ("title", "publisher", "intro", "source_text")
    readonly_fields = ("source_text", "created", "updated")
    prepopulated_fields = {"slug": ("title",)}
    fieldsets = (
        (None, {"fields": ("title", "slug", "intro")}),
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

    def view_on_site(self, obj):
        # A relative link: the default goes through the sites framework's placeholder domain.
        return obj.get_absolute_url()

    def get_readonly_fields(self, request, obj=None):
        # The source text is typed in once, when an article is added, and then kept as is.
        return self.readonly_fields if obj else ("created", "updated")

    @admin.display(description="sections")
    def section_count(self, obj):
        return obj.sections.count()

    @admin.display(description="source")
    def view_source(self, obj):
        return format_html('<a href="{}">source text</a>', obj.get_source_url())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sections")


@admin.register(Section)
class SectionAdmin(MarkdownxModelAdmin):
    list_display = ("heading", "article_link", "kind", "position", "updated")
    list_filter = ("kind", "article")
    search_fields = ("heading", "body", "article__title")
    list_select_related = ("article",)
    readonly_fields = ("created", "updated")
    fields = (
        "article",
        "kind",
        "heading",
        "heading_is_editorial",
        "slug",
        "position",
        "body",
        "created",
        "updated",
    )
    prepopulated_fields = {"slug": ("heading",)}

    class Media:
        # The preview uses the site's own styles, so it looks as readers will see it.
        css = {"all": ["css/admin-preview.css"]}

    def view_on_site(self, obj):
        return obj.get_absolute_url()

    @admin.display(description="article", ordering="article__title")
    def article_link(self, obj):
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        return format_html('<a href="{}">{}</a>', url, obj.article)
