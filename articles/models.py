"""The content model: source articles and the editorial sections they are split into."""

import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.text import Truncator
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from . import markdown, sources

# Ids the page templates use themselves; a subheading anchor must not take one of them.
RESERVED_ANCHORS = {
    "main", "contents", "share-status", "source-text", "site-search", "during-a-cramp",
}  # fmt: skip
MAX_ANCHOR_LENGTH = 80
# What a shared link shows before cutting it short (Open Graph's title and description).
SHARE_TITLE_LENGTH = 70
SHARE_DESCRIPTION_LENGTH = 160
# Addresses under /articles/<article>/ that are pages of their own, not sections.
RESERVED_SECTION_SLUGS = {"source"}


def validate_section_slug(value):
    if value in RESERVED_SECTION_SLUGS:
        raise ValidationError(f"“{value}” is the address of another page; choose another slug.")
    # The slug is also the section's id on its article's page.
    if value in RESERVED_ANCHORS:
        raise ValidationError(f"“{value}” is used by the page itself; choose another slug.")


PLAIN_HELP = (
    "Our plain-English version, shown first: short sentences and numbered steps that restate "
    "only what the source says. End every paragraph and step with the source sentence(s) it "
    "restates, as [@sentence-id] or [@id; @id2] (the ids are listed under “Source sentences”, "
    "and on the source page). Explain a garbled translation you resolved with an editor's note."
)


def source_citations(articles=None):
    """cite(id) -> the address of that sentence on its article's source page, or None.

    Looks in `articles`, or in every article when not given."""
    if articles is None:
        articles = Article.objects.only("slug", "source_text")
    addresses = {}
    for article in articles:
        # Stored in the rendered HTML, so the same whoever saves it: the site's root path,
        # never the script prefix of the request that saved it.
        source_url = "/" + article.get_source_url().removeprefix(get_script_prefix())
        for ident in sources.sentence_ids(article.source_text):
            addresses.setdefault(ident, f"{source_url}#{ident}")
    return addresses.get


def citation_errors(text, articles, field):
    """{field: message} when `text` cites a sentence `articles` do not have, or has a paragraph
    or step that cites nothing; {} when every citation holds."""
    cite = source_citations(articles)
    unknown = [ident for ident in markdown.cited_ids(text) if cite(ident) is None]
    if unknown:
        where = "this article's source" if articles is not None else "any article's source"
        return {
            field: f"No sentence of {where} has the id {', '.join(f'@{i}' for i in unknown)}. "
            "Copy ids from “Source sentences” or from the source page."
        }
    uncited = markdown.uncited_blocks(markdown.render_markdown(text, cite=cite))
    if uncited:
        quoted = "; ".join(f"“{Truncator(text).words(8)}”" for text in uncited)
        return {
            field: "Each paragraph and step must end with the source sentence(s) it restates, "
            f"as [@sentence-id]. These have none: {quoted}."
        }
    return {}


class Kind(models.TextChoices):
    # In the order readers need them: what to do now comes first.
    RELIEF = "relief", "Relief"
    CAUSES = "causes", "Causes"
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


class Versioned(models.Model):
    """A version number that turns away stale saves, and Markdown rendered on save."""

    version = models.PositiveIntegerField(default=1, editable=False)

    text_fields = ()  # Markdown fields, subclasses say which
    reader_fields = ()  # what readers see: a change to one is a new "Last updated" date

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
                self.bump_version(expected_version)
            elif self.pk is not None:
                # Saves from code (the loader, the shell) move the version on too, so an
                # editor's form opened before them is refused instead of overwriting them.
                current = manager.filter(pk=self.pk).values_list("version", flat=True).first()
                self.version = (current or 0) + 1
            super().save(*args, **kwargs)

    def bump_version(self, expected_version):
        """Move the stored version on, only if nobody has saved since expected_version; else
        EditConflict. One conditional UPDATE: of many saves from the same version, one wins.
        (A draft of a change moves it on too: the version is that of what editors edit.)"""
        bumped = (
            type(self)
            ._default_manager.filter(pk=self.pk, version=expected_version)
            .update(version=models.F("version") + 1)
        )
        if not bumped:
            raise EditConflict(self)
        self.version = expected_version + 1

    def render(self):
        """Work out the stored HTML from the Markdown; subclasses say how."""

    def clean(self):
        super().clean()
        errors = {}
        for field in self.text_fields:
            # Text built to take the renderer too long; what nests too deeply for it is found
            # when rendering (TooComplex is a ValidationError).
            try:
                markdown.check_renderable(getattr(self, field))
            except markdown.TooComplex as error:
                raise ValidationError({field: error.messages}) from error
            notes = markdown.editorial_note_errors(getattr(self, field))
            if (
                not notes
                and "!!!" in getattr(self, field)  # a note in a quote, say, that lines miss
                and markdown.empty_notes(markdown.render_markdown(getattr(self, field)))
            ):
                notes = [
                    "An editor's note has no text. Write it indented by four spaces under its "
                    "first line, or take the note out."
                ]
            if notes:
                errors[field] = notes
        if errors:
            raise ValidationError(errors)

    def normalize_text(self):
        """Browsers send textarea line breaks as CRLF; store one form, or every save would
        look like a change to the content loader and in the history's differences."""
        for field in self.text_fields:
            setattr(self, field, getattr(self, field).replace("\r\n", "\n"))

    def last_change(self):
        """The newest history record: who saved last, and when."""
        return self.history.select_related("history_user").first()


class Publishable(Versioned):
    """Draft or published, and when the text readers see last changed."""

    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Readers see only published content. A change to a published page is kept "
        "as a draft until it is published; use “Preview draft” to check it.",
    )
    text_changed = models.DateField(
        "text last changed",
        default=timezone.localdate,
        editable=False,
        help_text="Readers see it as “Last updated”: set when an editor saves a change to the "
        "text readers see; for shipped content, the date in its content files.",
    )

    class Meta:
        abstract = True

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED


class HelpCallout(models.Model):
    """An optional "when to get help" box."""

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

    class Meta:
        abstract = True

    def render(self):
        super().render()
        self.help_html = markdown.render_markdown(self.help_note) if self.help_level else ""

    def clean(self):
        super().clean()
        if self.help_level and not self.help_note.strip():
            raise ValidationError(
                {"help_note": "Write what readers should know, or choose no callout."}
            )


class Reviewed(models.Model):
    """The last review by a health professional: when, by whom, in what role.

    Recorded when a reviewer approves a change for publishing (articles/publishing.py), or,
    where a site publishes without review (PUBLISHING_NEEDS_REVIEW off), typed by an editor.
    """

    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="When a health professional last reviewed this text against its source and "
        "the site's standards. Readers see “Page last reviewed: date by name, role”; with no "
        "review they see “Not yet reviewed by a health professional”.",
    )
    reviewed_by = models.CharField(
        "reviewer's name",
        max_length=200,
        blank=True,
        help_text="The full name of the health professional who did that review.",
    )
    reviewer_role = models.CharField(
        "reviewer's role",
        max_length=200,
        blank=True,
        help_text="Their role, as readers should see it, for example “general practitioner”.",
    )

    class Meta:
        abstract = True

    @property
    def is_reviewed(self):
        return bool(self.last_reviewed and self.reviewed_by)

    def record_review(self, day, name, role):
        self.last_reviewed, self.reviewed_by, self.reviewer_role = day, name, role

    def clear_review(self):
        self.record_review(None, "", "")

    def clean(self):
        super().clean()
        reviewer = {"reviewed_by": self.reviewed_by, "reviewer_role": self.reviewer_role}
        if self.last_reviewed:
            errors = {
                field: "Say who did the review: a name and a role."
                for field, value in reviewer.items()
                if not value.strip()
            }
        elif any(value.strip() for value in reviewer.values()):
            errors = {"last_reviewed": "Give the date of the review, or clear who did it."}
        else:
            errors = {}
        if errors:
            raise ValidationError(errors)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible(self, drafts=False):
        """What a page may show: everything in the staff preview, else only published."""
        return self if drafts else self.published()

    def review_overdue(self, today=None):
        return self.filter(next_review_due__lt=today or timezone.localdate())


class Article(HelpCallout, Reviewed, Publishable):
    title = models.CharField(
        max_length=200,
        help_text="The headline readers see. The shipped articles keep their published title. "
        "The home page shows it under “What night cramps are” and “The articles”.",
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The article's part of its web address. If you change it, the old address "
        "keeps working: it redirects to the new one.",
    )
    publisher = models.CharField(
        max_length=200,
        help_text="The website that published the source article. The home page shows it "
        "under “What night cramps are” and “The articles”.",
    )
    publisher_category = models.CharField(
        max_length=200,
        blank=True,
        help_text="The source website's category, if it gives one. The home page shows it "
        "under “The articles”.",
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
        help_text="The opening paragraphs as published, in Markdown, shown above the sections. "
        "Keep the source's wording; mark anything you add with an editor's note "
        '(a line !!! editorial "Editor\'s note" followed by text indented by four spaces). '
        "Its first paragraph (notes aside) is quoted on the home page under “What night "
        "cramps are”.",
    )
    intro_html = models.TextField(editable=False, default="")
    plain_intro = MarkdownxField(
        "introduction in plain English",
        blank=True,
        help_text=PLAIN_HELP,
    )
    plain_intro_html = models.TextField(editable=False, default="")
    source_html = models.TextField(
        editable=False, default="", help_text="The source text with an address per sentence."
    )
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
    next_review_due = models.DateField(
        null=True,
        blank=True,
        help_text="When the article should next be reviewed. The article list shows overdue "
        "reviews. Readers see it as “Next review due”.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()
    # Its drafts and preview links go when it goes.
    revisions = GenericRelation("Revision")
    preview_links = GenericRelation("PreviewLink")
    text_fields = ("intro", "plain_intro", "help_note")
    # What readers see: an editor's change to one of these is a new "Last updated" date.
    reader_fields = ("title", "intro", "plain_intro", "help_level", "help_note")
    # What a draft of a change holds (articles/publishing.py).
    draft_fields = (
        "title", "slug", "intro", "plain_intro", "help_level", "help_note", "publisher",
        "publisher_category", "source_title", "source_note", "next_review_due",
        "last_reviewed", "reviewed_by", "reviewer_role",
    )  # fmt: skip
    history = HistoricalRecords(
        excluded_fields=["version", "seed_hash", "help_html", "plain_intro_html", "source_html"]
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("articles:article", kwargs={"article": self.slug})

    def get_source_url(self):
        return reverse("articles:source", kwargs={"article": self.slug})

    def get_preview_url(self):
        return reverse("articles:preview_article", kwargs={"article": self.slug})

    def render(self):
        super().render()
        self.intro_html = markdown.render_markdown(self.intro, heading_level=2)
        self.plain_intro_html = markdown.render_markdown(
            self.plain_intro, heading_level=2, cite=source_citations([self])
        )
        self.source_html = sources.to_html(self.source_text)
        self.description = markdown.summarize(self.plain_intro_html or self.intro_html)
        self.lead = markdown.first_paragraph(self.intro_html)

    def clean(self):
        super().clean()
        errors = {}
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            errors["next_review_due"] = "The next review must come after the last review."
        anchors = markdown.anchors_in(markdown.render_markdown(self.intro, heading_level=2))
        clashes = RESERVED_ANCHORS.intersection(anchors)
        if clashes:
            errors["intro"] = (
                "These subheading anchors are used by the page itself: "
                f"#{', #'.join(sorted(clashes))}. Choose other {{#anchor}} names."
            )
        errors.update(citation_errors(self.plain_intro, [self], "plain_intro"))
        if errors:
            raise ValidationError(errors)


class SectionQuerySet(models.QuerySet):
    def published(self):
        """Sections readers may see: published, in a published article."""
        return self.filter(status=Status.PUBLISHED, article__status=Status.PUBLISHED)

    def visible(self, drafts=False):
        """What a page may show: everything in the staff preview, else only published."""
        return self if drafts else self.published()

    def of_kind(self, kind):
        return self.filter(kind=kind).order_by("article", "position")


class Section(HelpCallout, Reviewed, Publishable):
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
        "you add with an editor's note: a line !!! editorial \"Editor's note\" followed by "
        "text indented by four spaces."
    )
    body_html = models.TextField(editable=False, default="")
    standalone_html = models.TextField(
        editable=False, default="", help_text="The body as shown on the section's own page."
    )
    plain_heading = models.CharField(
        "heading in plain English",
        max_length=200,
        blank=True,
        help_text="The heading readers see first, in plain words (ours, so marked as "
        "editorial). The source's heading is then shown with the text as published.",
    )
    plain = MarkdownxField("plain English", blank=True, help_text=PLAIN_HELP)
    plain_html = models.TextField(editable=False, default="")
    plain_standalone_html = models.TextField(editable=False, default="")
    anchors = models.JSONField(editable=False, default=list)
    description = models.CharField(max_length=200, editable=False, default="")
    share_title = models.CharField(
        "title when shared",
        max_length=SHARE_TITLE_LENGTH,
        blank=True,
        help_text=f"What a link to this section shows as its title on social media and in "
        f"messages, at most {SHARE_TITLE_LENGTH} characters. Leave empty to use the "
        "plain-English heading.",
    )
    share_description = models.CharField(
        "description when shared",
        max_length=SHARE_DESCRIPTION_LENGTH,
        blank=True,
        help_text=f"The words shown under that title, at most {SHARE_DESCRIPTION_LENGTH} "
        "characters, for search engines too. Leave empty to use the start of the "
        "plain-English text.",
    )
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
    # Its drafts and preview links go when it goes.
    revisions = GenericRelation("Revision")
    preview_links = GenericRelation("PreviewLink")
    text_fields = ("body", "plain", "help_note")
    reader_fields = ("heading", "plain_heading", "body", "plain", "help_level", "help_note")
    draft_fields = (
        "article", "kind", "slug", "position", "heading", "heading_is_editorial", "body",
        "plain_heading", "plain", "help_level", "help_note", "share_title", "share_description",
        "last_reviewed", "reviewed_by", "reviewer_role",
    )  # fmt: skip
    history = HistoricalRecords(
        excluded_fields=[
            "version",
            "seed_hash",
            "help_html",
            "body_html",
            "standalone_html",
            "plain_html",
            "plain_standalone_html",
            "anchors",
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

    def get_absolute_url(self):
        return reverse(
            "articles:section", kwargs={"article": self.article.slug, "section": self.slug}
        )

    def get_preview_url(self):
        """The staff preview of the section where its open change puts it: a change may move
        it to another article or give it another slug (articles.views.section_detail)."""
        revision = self.revisions.open().first() if self.pk else None
        change = revision.changed_data() if revision is not None else {}
        article = self.article
        if change.get("article_id", article.pk) != article.pk:
            # (Never one deleted since: publishing.keep_sections_moving_to sees to that.)
            article = Article.objects.get(pk=change["article_id"])
        return reverse(
            "articles:preview_section",
            kwargs={"article": article.slug, "section": change.get("slug", self.slug)},
        )

    @property
    def display_heading(self):
        """The heading readers see first: the plain-English one when there is one."""
        return self.plain_heading or self.heading

    @property
    def share_heading(self):
        """The title a shared link shows: the editors' share title, else the plain-English
        heading, shortened at a word to fit."""
        return self.share_title or markdown.shorten(self.display_heading, SHARE_TITLE_LENGTH)

    @property
    def share_summary(self):
        """The description a shared link shows: the editors' words, else the start of the
        plain-English text (the stored description, which ends at a word)."""
        return self.share_description or self.description

    @property
    def source_heading(self):
        """The source's own heading, shown with the text as published when readers see a
        plain-English one first."""
        return self.heading if self.plain_heading and not self.heading_is_editorial else ""

    @property
    def topic_anchor(self):
        """Its id on a topic page, which shows sections of both articles."""
        return f"{self.article.slug}--{self.slug}"

    def get_article_url(self):
        """The section in the context of its whole article."""
        return f"{self.article.get_absolute_url()}#{self.slug}"

    def render(self):
        super().render()
        self.body_html = markdown.render_markdown(self.body)
        self.standalone_html = markdown.render_markdown(
            self.body, heading_level=markdown.STANDALONE_HEADING_LEVEL
        )
        cite = source_citations([self.article]) if self.article_id else None
        self.plain_html = markdown.render_markdown(self.plain, cite=cite)
        self.plain_standalone_html = markdown.render_markdown(
            self.plain, heading_level=markdown.STANDALONE_HEADING_LEVEL, cite=cite
        )
        self.anchors = markdown.anchors_in(self.body_html) + markdown.anchors_in(self.plain_html)
        self.description = markdown.summarize(self.plain_html or self.body_html)

    def clean(self):
        super().clean()
        self.render()
        self._check_anchors()
        if self.article_id is not None:
            errors = citation_errors(self.plain, [self.article], "plain")
            if errors:
                raise ValidationError(errors)

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


class PageText(Versioned):
    """A piece of text a page shows that belongs to no article: the home page's headline,
    lead, topic cards and disclaimer, the "During a cramp" box, the About page. Each has a
    fixed place (its key, whose label says where); editors change the words."""

    class Key(models.TextChoices):
        HOME = "home", "Home page: headline and lead"
        DURING_A_CRAMP = "during-a-cramp", "“During a cramp” box (home page and Relief page)"
        TOPIC_RELIEF = (
            "topic-relief",
            "Home page: topic card for Relief (also the Relief page's title and lead)",
        )
        TOPIC_CAUSES = "topic-causes", "Home page: topic card for Causes"
        TOPIC_PREVENTION = "topic-prevention", "Home page: topic card for Prevention"
        DISCLAIMER = "disclaimer", "Home page: disclaimer at the foot of the page"
        ABOUT = "about", "About page"

    # Texts that restate the sources, so every paragraph and step cites them.
    CITED = {Key.DURING_A_CRAMP}
    # Each topic's card on the home page.
    TOPIC_CARDS = {
        Kind.RELIEF: Key.TOPIC_RELIEF,
        Kind.CAUSES: Key.TOPIC_CAUSES,
        Kind.PREVENTION: Key.TOPIC_PREVENTION,
    }
    # Texts shown inside a paragraph the page makes (the lead, a card, the disclaimer): their
    # body is one paragraph, and a card's has no link, the card being a link itself.
    ONE_PARAGRAPH = {Key.HOME, Key.DISCLAIMER, *TOPIC_CARDS.values()}

    key = models.CharField(max_length=40, choices=Key.choices, unique=True, editable=False)
    heading = models.CharField(max_length=200, help_text="The heading readers see.")
    body = MarkdownxField(
        help_text="In Markdown, with a live preview. In the “During a cramp” box, end every "
        "step with the source sentence(s) it restates, as [@sentence-id] (the ids are on the "
        "source pages); add nothing the sources do not say."
    )
    body_html = models.TextField(editable=False, default="")
    text_changed = models.DateField("text last changed", default=timezone.localdate, editable=False)
    seed_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    updated = models.DateTimeField(auto_now=True)

    text_fields = ("body",)
    reader_fields = ("heading", "body")
    draft_fields = ("heading", "body")  # a change is a draft until published (publishing.py)
    revisions = GenericRelation("Revision")
    preview_links = GenericRelation("PreviewLink")
    # A text with a fixed place is always shown: it has no status, and is never unpublished.
    is_published = True
    history = HistoricalRecords(excluded_fields=["version", "seed_hash", "body_html"])

    class Meta:
        ordering = ["key"]
        verbose_name = "page text"

    def __str__(self):
        return self.get_key_display()

    def get_absolute_url(self):
        """The page it appears on (the home page shows all but the About page's)."""
        return reverse("articles:about" if self.key == self.Key.ABOUT else "articles:home")

    def get_preview_url(self):
        return reverse(
            "articles:preview_about" if self.key == self.Key.ABOUT else "articles:preview_home"
        )

    @property
    def is_cited(self):
        return self.key in self.CITED

    @property
    def paragraph_html(self):
        """The body as the inside of a paragraph the page makes (a one-paragraph text); the
        first paragraph's words when the body is anything else."""
        inside = markdown.paragraph_contents(self.body_html)
        return markdown.first_paragraph(self.body_html) if inside is None else inside

    @property
    def summary(self):
        """The body as plain text, cut at a word to fit a description (meta tags)."""
        return markdown.summarize(self.body_html)

    def render(self):
        cite = source_citations() if self.is_cited else None
        self.body_html = markdown.render_markdown(self.body, heading_level=2, cite=cite)

    def clean(self):
        super().clean()
        if self.is_cited:
            errors = citation_errors(self.body, None, "body")
            if errors:
                raise ValidationError(errors)
        if self.key in self.ONE_PARAGRAPH:
            self.render()
            inside = markdown.paragraph_contents(self.body_html)
            if inside is None:
                raise ValidationError(
                    {
                        "body": "This text is shown as one paragraph: write it without "
                        "headings, lists, editor's notes or blank lines."
                    }
                )
            if self.key in self.TOPIC_CARDS.values() and re.search(r"<(a|img)\b", inside):
                raise ValidationError(
                    {"body": "The card is a link itself: take out the link or image."}
                )


class RevisionQuerySet(models.QuerySet):
    def open(self):
        """Changes not yet live, nor thrown away."""
        return self.filter(state__in=Revision.OPEN_STATES)

    def due(self, now=None):
        """Approved changes whose go-live time has come."""
        return self.filter(state=Revision.State.APPROVED, go_live_at__lte=now or timezone.now())


class Revision(models.Model):
    """A change to an article or section that readers do not see yet: its proposed text, and
    where it stands on the way to publishing (articles/publishing.py).

    The live row stays what readers see; publishing copies `data` onto it and saves it, so
    the page cache, search, redirects and history follow as for any save."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Waiting for review"
        SENT_BACK = "sent-back", "Sent back by a reviewer"
        APPROVED = "approved", "Approved, to go live at its scheduled time"
        PUBLISHED = "published", "Published"
        DISCARDED = "discarded", "Discarded"

    OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.SENT_BACK, State.APPROVED)

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    page = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(
        encoder=DjangoJSONEncoder, help_text="The proposed values of the page's fields."
    )
    # The live values the change started from: only fields the draft changed from these are
    # put on the page, so a change made to the live page meanwhile is kept.
    base = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    # Everyone who saved this change: none of them may approve it.
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_name = models.CharField(max_length=200, blank=True)
    reviewer_role = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    go_live_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    without_review = models.BooleanField(default=False)
    # A change that reverts the page to an old version (the history's "Revert") names that
    # version ("<when> by <who>"), so publishing keeps the mark; cleared once it is edited.
    restores = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = "change for review"
        verbose_name_plural = "changes for review"
        permissions = [("review_revision", "Can approve changes for publishing or send them back")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(state__in=["draft", "submitted", "sent-back", "approved"]),
                name="one_open_revision_per_page",
            )
        ]

    def __str__(self):
        return f"{self.content_type.name.capitalize()}: {self.page}"

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    def changed_data(self):
        """The draft's values that differ from the live ones it started from."""
        return {name: value for name, value in self.data.items() if self.base.get(name) != value}


class PreviewLink(models.Model):
    """A link that shows one page's draft to someone without an account (a reviewer, say):
    unguessable, expiring, revocable; the page it opens is never cached nor indexed."""

    token = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    page = GenericForeignKey("content_type", "object_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"Preview of {self.page}"

    def get_absolute_url(self):
        return reverse("articles:preview_link", kwargs={"token": self.token})

    @property
    def is_usable(self):
        return self.revoked is None and self.expires > timezone.now()


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

    @staticmethod
    def pieces_for(section):
        """What is indexed for a section: its plain-English version first (so its entries
        have the lower ids, and results show it where both versions match), then the text
        as published."""
        plain_heading = section.plain_heading or section.heading
        plain = (
            markdown.search_pieces(plain_heading, section.plain_standalone_html)
            if section.plain_standalone_html
            else []
        )
        published = markdown.search_pieces(section.heading, section.standalone_html)
        return plain + published

    @classmethod
    def rebuild_for(cls, section):
        cls.objects.filter(section=section).delete()
        cls.objects.bulk_create(
            cls(section=section, anchor=anchor, heading=heading, text=text)
            for anchor, heading, text in cls.pieces_for(section)
        )


def search_words(text):
    """Text as searches read it: its words, lower case, one space apart."""
    from .search import normalize_query

    return normalize_query(text)


def clean_search_words(obj, name):
    """Field `name` as searches read it, in clean(): the form then looks for a duplicate of
    what will be stored ("AVOID" when "avoid" exists), and a refusal keeps what was typed."""
    typed = getattr(obj, name)
    setattr(obj, name, search_words(typed))
    if typed and not getattr(obj, name):
        raise ValidationError({name: "Type at least one word: letters or digits."})


class SearchSynonym(models.Model):
    """A reader's word and what it means in the articles' words: search looks for both."""

    term = models.CharField(
        max_length=100,
        unique=True,
        help_text="A word or phrase readers type, for example “charley horse” or “stop”. "
        "Letters and spaces; capitals do not matter.",
    )
    meaning = models.CharField(
        max_length=200,
        help_text="The word or words the articles use for it, separated by spaces or commas, "
        "for example “cramp” or “relieve, relief”. Search finds sections with any of them.",
    )
    # Who changed what; and a shipped synonym an editor deleted stays deleted (loader.py).
    history = HistoricalRecords()

    class Meta:
        ordering = ["term"]
        verbose_name = "search synonym"

    def __str__(self):
        return f"{self.term} → {self.meaning}"

    def save(self, *args, **kwargs):
        self.term = search_words(self.term)  # saved from code too, without clean()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        clean_search_words(self, "term")


class PromotedResult(models.Model):
    """A section an editor pins to the top of the results for a search."""

    query = models.CharField(
        max_length=200,
        help_text="The search, as readers type it (capitals, punctuation and extra spaces do "
        "not matter), for example “what to do”.",
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="promotions",
        help_text="The section shown first, marked as chosen by our editors. A draft is not shown.",
    )
    order = models.PositiveIntegerField(
        default=0, help_text="Order among the pinned sections for this search: lower first."
    )

    class Meta:
        ordering = ["query", "order", "pk"]
        verbose_name = "pinned search result"
        constraints = [
            models.UniqueConstraint(
                fields=["query", "section"],
                name="promoted_section_unique_per_query",
                violation_error_message="This section is already pinned for this search.",
            )
        ]

    def __str__(self):
        return f"“{self.query}”: {self.section}"

    def save(self, *args, **kwargs):
        self.query = search_words(self.query)  # saved from code too, without clean()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        clean_search_words(self, "query")


class Feedback(models.Model):
    """A reader's report of a problem with a page, for editors to deal with."""

    class State(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in-progress", "In progress"
        DONE = "done", "Done"

    page = models.CharField(max_length=300, help_text="The page the reader reported.")
    message = models.TextField("what is wrong", help_text="What the reader wrote.")
    email = models.EmailField(
        blank=True, help_text="Where the reader would like a reply, if they gave one."
    )
    created = models.DateTimeField("sent", auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=20,
        choices=State.choices,
        default=State.NEW,
        help_text="Set to “In progress” when you start on it and “Done” when it is dealt with.",
    )
    # A keyed hash of the reader's address, not the address: enough to limit how often one
    # client can send reports (articles/feedback.py), nothing to identify them by.
    client = models.CharField(max_length=64, editable=False, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "reader's report"
        verbose_name_plural = "readers' reports"

    def __str__(self):
        return f"{self.page} ({self.created:%Y-%m-%d %H:%M})" if self.created else self.page

    def get_absolute_url(self):
        return self.page
