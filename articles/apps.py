from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"

    def ready(self):
        """What follows a save, each in a module named for it: the search index
        (search.index_section), redirects from renamed addresses and citation links
        (redirects), the loader forgetting a moved section (loader), a change moving a
        section to a deleted article keeping it where it is (publishing), the section's share
        image (share_images), and, connected here,
        the page cache's invalidation (cache.content_changed)."""
        from django.contrib.redirects.models import Redirect
        from django.db.models.signals import post_delete, post_migrate, post_save

        # @receiver handlers, and checks.py's @register (what check --deploy adds).
        from . import checks, loader, publishing, redirects, search, share_images  # noqa: F401
        from .cache import content_changed
        from .models import Article, PageText, Section

        # Anything a public page shows: saving or deleting it invalidates every cached page.
        for model in (Article, Section, PageText, Redirect):
            post_save.connect(content_changed, sender=model, dispatch_uid=f"cache-{model}")
            post_delete.connect(content_changed, sender=model, dispatch_uid=f"cache-d-{model}")
        # A deploy runs `migrate`: pages rendered by the previous templates are dropped too.
        post_migrate.connect(content_changed, sender=self, dispatch_uid="cache-migrate")
        post_migrate.connect(use_the_sites_domain, sender=self, dispatch_uid="site-domain")


def use_the_sites_domain(using="default", **kwargs):
    """The sites framework's one site gets the real domain (SITE_DOMAIN), not example.com: the
    admin's "View on site" (/admin/r/...) sends editors there."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.SITE_DOMAIN, "name": "Night Cramps"}
    )
    Site.objects.clear_cache()
