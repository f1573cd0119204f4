from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"

    def ready(self):
        from django.contrib.redirects.models import Redirect
        from django.db.models.signals import post_delete, post_migrate, post_save

        from .cache import content_changed
        from .models import Article, PageText, Section

        # Anything a public page shows: saving or deleting it invalidates every cached page.
        for model in (Article, Section, PageText, Redirect):
            post_save.connect(content_changed, sender=model, dispatch_uid=f"cache-{model}")
            post_delete.connect(content_changed, sender=model, dispatch_uid=f"cache-d-{model}")
        # A deploy runs `migrate`: pages rendered by the previous templates are dropped too.
        post_migrate.connect(content_changed, sender=self, dispatch_uid="cache-migrate")
