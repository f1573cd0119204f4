"""The content model: source articles and the editorial sections they are split into."""

from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from . import markdown
from .paths import page_path

# Ids the page templates use themselves; a subheading anchor must not take one of them.
RESERVED_ANCHORS = {"main", "contents", "share-status", "source-text", "site-search"}
MAX_ANCHOR_LENGTH = 80
# Addresses under /articles/<article>/ that are pages of their own, not sections.
RESERVED_SECTION_SLUGS = {"source"}


def validate_section_slug(value):
    if value in RESERVED_SECTION_SLUGS:
        raise ValidationError(f"“{value}” is the address of another page; choose another slug.")
    # The slug is also the section's id on its article's page.
    if value in RESERVED_ANCHORS:
        raise ValidationError(f"“{value}” is used by the page itself; choose another slug.")


class Kind(models.TextChoices):
    CAUSES = "causes", "Causes"
    RELIEF = "relief", "Relief"
    PREVENTION = "prevention", "Prevention"

    @property
    def title(self):
        return KIND_TITLES[self]

    @property
    def question(self):
        return KIND_QUESTIONS[self]


KIND_TITLES = {
    Kind.CAUSES: "Why night cramps happen",
    Kind.RELIEF: "How to stop a cramp now",
    Kind.PREVENTION: "How to keep cramps from coming back",
}
KIND_QUESTIONS = {
    Kind.CAUSES: "What the sources give as reasons for cramps at night.",
    Kind.RELIEF: "What the sources say to do while a cramp is happening.",
    Kind.PREVENTION: "What the sources suggest to make night cramps less likely.",
}


class Status(models.TextChoices):
    DRAFT = "draft", "Draft: only editors can see it"
    PUBLISHED = "published", "Published: readers can see it"


class EditConflict(Exception):
    """Someone saved the object after this editor opened it."""

    def __init__(self, obj):
        self.obj = obj
        super().__init__(f"{obj._meta.verbose_name} {obj.pk} was changed by someone else")


class HelpLevel(models.TextChoices):
    NONE = "", "No callout"
    SOON = "soon", "See a doctor soon"
    URGENT = "urgent", "Get urgent help"


class Editable(models.Model):
    """Draft/published status, a version number that turns away stale saves, and an
    optional "when to get help" callout."""

    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Readers see only published content. Use the preview link to check a draft.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    help_level = models.CharField(
        "when to get help",
        max_length=10,
        choices=HelpLevel.choices,
        blank=True,
        default=HelpLevel.NONE,
        help_text="Shows a “when to get help” box. Use only what the source says; quote it.",
    )
    help_note = models.TextField(
        "help box text",
        blank=True,
        help_text="The text of the help box, in Markdown. Required when a level is chosen.",
    )
    help_html = models.TextField(editable=False, default="")

    text_fields = ("help_note",)  # Markdown fields, subclasses add theirs

    class Meta:
        abstract = True

    def save(self, *args, expected_version=None, **kwargs):
        """Save; with expected_version, only if nobody has saved since that version.

        The check and the version bump are one conditional UPDATE, so of many saves that start
        from the same version exactly one wins, on SQLite and PostgreSQL alike.
        """
        self.normalize_text()
        self.render()
        with transaction.atomic():
            manager = type(self)._default_manager
            if self.pk is not None and expected_version is not None:
                bumped = manager.filter(pk=self.pk, version=expected_version).update(
                    version=models.F("version") + 1
                )
                if not bumped:
                    raise EditConflict(self)
                self.version = expected_version + 1
            elif self.pk is not None:
                # Saves from code (the loader, the shell) move the version on too, so an
                # editor's form opened before them is refused instead of overwriting them.
                current = manager.filter(pk=self.pk).values_list("version", flat=True).first()
                self.version = (current or 0) + 1
            super().save(*args, **kwargs)

    def render(self):
        """Work out the stored HTML from the Markdown; subclasses add their fields."""
        self.help_html = markdown.render_markdown(self.help_note) if self.help_level else ""

    def normalize_text(self):
        """Browsers send textarea line breaks as CRLF; store one form, or every save would
        look like a change to the content loader and in the history's differences."""
        for field in self.text_fields:
            setattr(self, field, getattr(self, field).replace("\r\n", "\n"))

    def clean(self):
        super().clean()
        for field in self.text_fields:
            # Text built to take the renderer too long; what nests too deeply for it is found
            # when rendering (TooComplex is a ValidationError).
            try:
                markdown.check_renderable(getattr(self, field))
            except markdown.TooComplex as error:
                raise ValidationError({field: error.messages}) from error
        if self.help_level and not self.help_note.strip():
            raise ValidationError(
                {"help_note": "Write what readers should know, or choose no callout."}
            )

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    def last_change(self):
        """The newest history record: who saved last, and when."""
        return self.history.select_related("history_user").first()


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible(self, drafts=False):
        """What a page may show: everything in the staff preview, else only published."""
        return self if drafts else self.published()

    def review_overdue(self, today=None):
        return self.filter(next_review_due__lt=today or timezone.localdate())


class Article(Editable):
    title = models.CharField(
        max_length=200,
        help_text="The headline readers see. The shipped articles keep their published title.",
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The article's part of its web address. If you change it, the old address "
        "keeps working: it redirects to the new one.",
    )
    publisher = models.CharField(
        max_length=200, help_text="The website that published the source article."
    )
    publisher_category = models.CharField(
        max_length=200, blank=True, help_text="The source website's category, if it gives one."
    )
    source_title = models.CharField(
        max_length=300, help_text="The title as published, word for word."
    )
    source_text = models.TextField(
        help_text="The whole source article exactly as published (a machine translation from "
        "Chinese). It is the record of what the source said and cannot be edited here."
    )
    source_note = models.TextField(
        blank=True,
        help_text="Where the text came from and how, shown on the source page.",
    )
    intro = MarkdownxField(
        "introduction",
        blank=True,
        help_text="The opening paragraphs, in Markdown, shown above the sections. Keep the "
        "source's wording; mark anything you add with an editor's note "
        "(a line '!!! editorial \"Editor\\'s note\"' followed by indented text).",
    )
    intro_html = models.TextField(editable=False, default="")
    description = models.CharField(
        max_length=200,
        editable=False,
        default="",
        help_text="Made from the introduction when saved; used for search and share previews.",
    )
    lead = models.TextField(
        editable=False, default="", help_text="The introduction's first paragraph, as text."
    )
    # NULL, not "", for articles an editor adds: only shipped ones have a key, and it is unique.
    seed_key = models.CharField(  # noqa: DJ001
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Identifies shipped content for the content loader.",
    )
    seed_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="When an editor last checked this article against its source and the "
        "site's standards. Readers see it as “Page last reviewed”.",
    )
    next_review_due = models.DateField(
        null=True,
        blank=True,
        help_text="When the article should next be reviewed. The article list shows overdue "
        "reviews. Readers see it as “Next review due”.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()
    text_fields = ("intro", "help_note")
    history = HistoricalRecords(excluded_fields=["version", "seed_hash", "help_html"])

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_slug = None
            if self.pk is not None:
                old_slug = Article.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
            super().save(*args, **kwargs)
            if old_slug and old_slug != self.slug:
                # A draft's old address was never public: nothing to keep working (nor to
                # reveal).
                if self.is_published:
                    record_redirects(self._moves_from(old_slug))
                # Each section stores its address (Section.path), which has this slug in it.
                sections = list(self.sections.only("pk", "slug"))
                for section in sections:
                    section.path = section_path(self.slug, section.slug)
                Section.objects.bulk_update(sections, ["path"])

    def get_absolute_url(self):
        return page_path("articles:article", article=self.slug)

    def get_source_url(self):
        return page_path("articles:source", article=self.slug)

    def get_preview_url(self):
        return page_path("articles:preview_article", article=self.slug)

    def render(self):
        super().render()
        self.intro_html = markdown.render_markdown(self.intro, heading_level=2)
        self.description = markdown.summarize(self.intro_html)
        self.lead = markdown.first_paragraph(self.intro_html)

    def clean(self):
        super().clean()
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            raise ValidationError(
                {"next_review_due": "The next review must come after the last review."}
            )
        anchors = markdown.anchors_in(markdown.render_markdown(self.intro, heading_level=2))
        clashes = RESERVED_ANCHORS.intersection(anchors)
        if clashes:
            raise ValidationError(
                {
                    "intro": "These subheading anchors are used by the page itself: "
                    f"#{', #'.join(sorted(clashes))}. Choose other {{#anchor}} names."
                }
            )

    def _moves_from(self, old_slug):
        """Old address -> new address for every page under the article, after a rename."""
        # Draft sections' old addresses were never public: a redirect would reveal them.
        section_slugs = list(
            self.sections.filter(status=Status.PUBLISHED).values_list("slug", flat=True)
        )

        def paths(slug):
            return [
                page_path("articles:article", article=slug),
                page_path("articles:source", article=slug),
                *(section_path(slug, section) for section in section_slugs),
            ]

        return dict(zip(paths(old_slug), paths(self.slug), strict=True))


def section_path(article_slug, section_slug):
    return page_path("articles:section", article=article_slug, section=section_slug)


class SectionQuerySet(models.QuerySet):
    def published(self):
        """Sections readers may see: published, in a published article."""
        return self.filter(status=Status.PUBLISHED, article__status=Status.PUBLISHED)

    def visible(self, drafts=False):
        """What a page may show: everything in the staff preview, else only published."""
        return self if drafts else self.published()

    def of_kind(self, kind):
        return self.filter(kind=kind).order_by("article", "position")


class Section(Editable):
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="sections",
        help_text="The article this section was taken from.",
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        help_text="Which topic page lists this section: causes, relief or prevention.",
    )
    heading = models.CharField(
        max_length=200,
        help_text="The section's heading. Use the source's words where it has a heading.",
    )
    heading_is_editorial = models.BooleanField(
        "heading written by an editor",
        default=False,
        help_text="Tick when the source has no heading here and the words are ours; readers "
        "then see the heading marked as editorial.",
    )
    slug = models.SlugField(
        max_length=100,
        validators=[validate_section_slug],
        help_text="The section's part of its web address, unique within the article. If you "
        "change it, the old address keeps working: it redirects to the new one.",
    )
    body = MarkdownxField(
        help_text="The section text in Markdown, with a live preview. Keep the source's "
        "wording. Subheadings: '### 1. Heading {#anchor}'; the {#anchor} keeps links to the "
        "subheading working when you reword it, so do not change it once published. Mark what "
        "you add with an editor's note: a line '!!! editorial \"Editor\\'s note\"' followed by "
        "text indented by four spaces."
    )
    body_html = models.TextField(editable=False, default="")
    standalone_html = models.TextField(
        editable=False, default="", help_text="The body as shown on the section's own page."
    )
    anchors = models.JSONField(editable=False, default=list)
    description = models.CharField(max_length=200, editable=False, default="")
    # The section's address, kept by save() (and by Article.save() when the article's slug
    # changes): pages link to many sections, and a reverse() for every link added up.
    path = models.CharField(max_length=300, editable=False, default="")
    position = models.PositiveIntegerField(
        default=0, help_text="Order within the article: lower numbers come first."
    )
    seed_key = models.CharField(  # noqa: DJ001 (NULL for sections an editor adds)
        max_length=100, null=True, blank=True, editable=False, help_text="For the loader."
    )
    seed_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SectionQuerySet.as_manager()
    text_fields = ("body", "help_note")
    history = HistoricalRecords(
        excluded_fields=[
            "version",
            "seed_hash",
            "help_html",
            "body_html",
            "standalone_html",
            "anchors",
            "path",
        ]
    )

    class Meta:
        ordering = ["article", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "slug"],
                name="section_slug_unique_in_article",
                violation_error_message="This article already has a section with this slug.",
            ),
            models.UniqueConstraint(
                fields=["article", "seed_key"], name="section_seed_key_unique_in_article"
            ),
        ]

    def __str__(self):
        return self.heading

    def save(self, *args, **kwargs):
        self.path = section_path(self.article.slug, self.slug)
        with transaction.atomic():
            old = None
            if self.pk is not None:
                row = Section.objects.filter(pk=self.pk)
                old_article, *old = row.values_list("article_id", "article__slug", "slug").first()
                if old_article != self.article_id:
                    # Moved to another article: no longer the shipped section the loader knows.
                    self.seed_key = None
            super().save(*args, **kwargs)
            SearchEntry.rebuild_for(self)
            if old is not None and section_path(*old) != self.path and self.is_published:
                record_redirects({section_path(*old): self.path})

    def get_absolute_url(self):
        # Worked out only for a section not saved yet.
        return self.path or section_path(self.article.slug, self.slug)

    def get_preview_url(self):
        return page_path("articles:preview_section", article=self.article.slug, section=self.slug)

    def get_article_url(self):
        """The section in the context of its whole article."""
        return f"{self.article.get_absolute_url()}#{self.slug}"

    def render(self):
        super().render()
        self.body_html = markdown.render_markdown(self.body)
        self.standalone_html = markdown.render_markdown(
            self.body, heading_level=markdown.STANDALONE_HEADING_LEVEL
        )
        self.anchors = markdown.anchors_in(self.body_html)
        self.description = markdown.summarize(self.body_html)

    def clean(self):
        super().clean()
        self.render()
        self._check_anchors()

    def _check_anchors(self):
        """Subheading anchors must be unique on every page that can show them together."""
        too_long = [a for a in self.anchors if len(a) > MAX_ANCHOR_LENGTH]
        if too_long:
            raise ValidationError(
                {
                    "body": f"Subheading anchors can be at most {MAX_ANCHOR_LENGTH} characters: "
                    f"give {', '.join(h[:40] + '…' for h in too_long)} a shorter {{#anchor}}."
                }
            )
        duplicates = {a for a in self.anchors if self.anchors.count(a) > 1}
        if duplicates:
            raise ValidationError(
                {"body": f"Two subheadings use the same anchor: #{', #'.join(sorted(duplicates))}."}
            )
        clashes = RESERVED_ANCHORS.intersection(self.anchors)
        # Sections shown on the same page: the same article's, or the same topic's.
        others = (
            Section.objects.exclude(pk=self.pk)
            .filter(models.Q(article_id=self.article_id) | models.Q(kind=self.kind))
            .only("article_id", "kind", "slug", "anchors")
        )
        for other in others:
            clashes |= set(self.anchors).intersection(other.anchors)
            if other.article_id == self.article_id:
                clashes |= {other.slug} & set(self.anchors)
                clashes |= {self.slug} & set(other.anchors)
        clashes |= {self.slug} & set(self.anchors)
        if clashes:
            raise ValidationError(
                {
                    "body": "These subheading anchors are already used by another section "
                    "shown on the same page (or by the page itself): "
                    f"#{', #'.join(sorted(clashes))}. Choose other {{#anchor}} names."
                }
            )


def record_redirects(moves):
    """Keep old addresses working: each old path answers 301 to its new path.

    Earlier redirects that pointed at a moved path are repointed, so a link never takes more
    than one hop, and a path that is live again stops redirecting.
    """
    site_id = settings.SITE_ID
    for old_path, new_path in moves.items():
        Redirect.objects.filter(site_id=site_id, new_path=old_path).update(new_path=new_path)
        Redirect.objects.filter(site_id=site_id, old_path=new_path).delete()
        Redirect.objects.update_or_create(
            site_id=site_id, old_path=old_path, defaults={"new_path": new_path}
        )
    Redirect.objects.filter(site_id=site_id, old_path=models.F("new_path")).delete()


class SearchEntry(models.Model):
    """One searchable piece of a section: the text before its first subheading, or one
    subheading and the text under it. Rebuilt whenever the section is saved; the full-text
    index over it (FTS5 on SQLite, a GIN index on PostgreSQL) is made in migration 0006.
    Careful: altering this table on SQLite remakes it and drops the FTS triggers, so such a
    migration must create them again."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="search_entries")
    anchor = models.TextField(blank=True)
    heading = models.TextField(blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["section", "pk"]
        verbose_name_plural = "search entries"

    def __str__(self):
        return f"{self.section} #{self.anchor}" if self.anchor else str(self.section)

    def get_absolute_url(self):
        url = self.section.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url

    @classmethod
    def rebuild_for(cls, section):
        cls.objects.filter(section=section).delete()
        cls.objects.bulk_create(
            cls(section=section, anchor=anchor, heading=heading, text=text)
            for anchor, heading, text in markdown.search_pieces(
                section.heading, section.standalone_html
            )
        )
