"""Old addresses keep working when an editor renames an article or a section (and stop
redirecting when the page they lead to is deleted).

Each old address answers 301 to the new one (django.contrib.redirects, whose middleware
serves them), and plain-English citations, which link into an article's source page, are
rendered again with its new address. A draft's addresses were never public: renaming one
records no redirect, so they stay 404 rather than reveal that the draft exists.
"""

from django.conf import settings
from django.contrib.redirects.middleware import RedirectFallbackMiddleware
from django.contrib.redirects.models import Redirect
from django.db import models
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.urls import reverse

from .models import Article, PageText, Section


def section_path(article_slug, section_slug):
    return reverse("articles:section", kwargs={"article": article_slug, "section": section_slug})


def article_paths(slug, section_slugs):
    """The addresses of an article's pages: itself, its source text and these sections."""
    return [
        reverse("articles:article", kwargs={"article": slug}),
        reverse("articles:source", kwargs={"article": slug}),
        *(section_path(slug, section_slug) for section_slug in section_slugs),
    ]


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


@receiver(pre_save, sender=Article, dispatch_uid="remember-article-slug")
def remember_article_slug(sender, instance, raw=False, **kwargs):
    saved = Article.objects.filter(pk=instance.pk) if instance.pk is not None else None
    instance._saved_slug = saved.values_list("slug", flat=True).first() if saved else None


@receiver(post_save, sender=Article, dispatch_uid="follow-article-rename")
def follow_article_rename(sender, instance, raw=False, **kwargs):
    old_slug = getattr(instance, "_saved_slug", None)
    if raw or not old_slug or old_slug == instance.slug:
        return
    if instance.is_published:
        shown = list(instance.sections.published().values_list("slug", flat=True))
        moves = zip(
            article_paths(old_slug, shown), article_paths(instance.slug, shown), strict=True
        )
        record_redirects(dict(moves))
    relink_citations(instance)


def relink_citations(article):
    """Render again what cites the article's source, so its links use the new address."""
    sections = list(article.sections.all())
    for section in sections:
        section.article = article
        section.render()
    Section.objects.bulk_update(sections, ["plain_html", "plain_standalone_html"])
    texts = [text for text in PageText.objects.all() if text.is_cited]
    for text in texts:
        text.render()
    PageText.objects.bulk_update(texts, ["body_html"])


@receiver(pre_save, sender=Section, dispatch_uid="remember-section-path")
def remember_section_path(sender, instance, raw=False, **kwargs):
    saved = Section.objects.filter(pk=instance.pk) if instance.pk is not None else None
    row = saved.values_list("article__slug", "slug").first() if saved else None
    instance._saved_path = section_path(*row) if row else None


@receiver(post_save, sender=Section, dispatch_uid="follow-section-rename")
def follow_section_rename(sender, instance, raw=False, **kwargs):
    old_path = getattr(instance, "_saved_path", None)
    new_path = instance.get_absolute_url()
    if not raw and old_path and old_path != new_path and instance.is_published:
        record_redirects({old_path: new_path})


@receiver(pre_delete, sender=Article, dispatch_uid="forget-deleted-article")
def forget_deleted_article(sender, instance, **kwargs):
    """Old addresses of a deleted article's pages (its sections, its source) stop redirecting
    to them: they answer the site's 404 at once rather than a 301 to one."""
    prefix = reverse("articles:article", kwargs={"article": instance.slug})
    Redirect.objects.filter(site_id=settings.SITE_ID, new_path__startswith=prefix).delete()


@receiver(pre_delete, sender=Section, dispatch_uid="forget-deleted-section")
def forget_deleted_section(sender, instance, **kwargs):
    """The same for a deleted section's old addresses."""
    Redirect.objects.filter(site_id=settings.SITE_ID, new_path=instance.get_absolute_url()).delete()


# Stored, but asked again each time: a rename can be undone, and no cached 301 outlives it.
REDIRECT_CACHE_CONTROL = "no-cache"


class RenameRedirectMiddleware(RedirectFallbackMiddleware):
    """django.contrib.redirects' middleware, with 301s that browsers check again each time.

    Browsers keep a 301 with no caching headers for good. An editor who renames a slug and
    then renames it back makes the new address redirect to the old one again: a browser that
    kept the first 301 would then loop between the two. Link checkers and search engines still
    see "moved permanently"; browsers ask the site again, which costs one small request.
    """

    def process_response(self, request, response):
        answer = super().process_response(request, response)
        if answer is not response:  # a redirect of ours answered the 404
            answer["Cache-Control"] = REDIRECT_CACHE_CONTROL
        return answer
