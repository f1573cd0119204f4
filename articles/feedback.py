"""Readers' reports of a problem with a page: the form, its page and the thanks.

Never cached (each form carries its own CSRF token, and a thanks page is one reader's). Bots
are turned away by a honeypot field people do not see, and any one client by a limit on how
many reports it can send in an hour, counted in the database so every worker agrees.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cramps_site.client_ip import client_ip

from .models import Article, Feedback, Section

MAX_MESSAGE_LENGTH = 2000
MAX_REPORTS_PER_HOUR = 5
# Pages a reader can report (the public pages' URL names); anything else is reported as "/".
REPORTABLE = {"home", "about", "search", "topic", "article", "source", "section"}


def reported_page(path):
    """The path if it is one of the site's public pages, else the home page's. A path the
    URL patterns accept may still be a 404 (an article or section that does not exist, or is
    not published): the thanks page would link back to it, so it is reported as "/" too."""
    path = (path or "").split("?")[0].split("#")[0]
    if not path.startswith("/") or path.startswith("//") or len(path) > 300:
        return "/"
    try:
        match = resolve(path)
    except Resolver404:
        return "/"
    if match.namespace != "articles" or match.url_name not in REPORTABLE:
        return "/"
    slugs = match.kwargs
    if match.url_name in {"article", "source"}:
        exists = Article.objects.published().filter(slug=slugs["article"]).exists()
    elif match.url_name == "section":
        exists = (
            Section.objects.published()
            .filter(article__slug=slugs["article"], slug=slugs["section"])
            .exists()
        )
    else:
        exists = True
    return path if exists else "/"


def client_key(request):
    return salted_hmac("feedback-client", client_ip(request) or "", algorithm="sha256").hexdigest()


class FeedbackForm(forms.ModelForm):
    # Hidden from people by CSS and from assistive technology; bots fill in every field.
    website = forms.CharField(required=False, label="Leave this empty")

    class Meta:
        model = Feedback
        fields = ["message", "email"]
        labels = {
            "message": "What is wrong on this page?",
            "email": "Your e-mail address (optional)",
        }
        help_texts = {
            "message": f"For example a mistake, something unclear or a broken link. At most "
            f"{MAX_MESSAGE_LENGTH} characters.",
            "email": "Only if you would like a reply. We use it for nothing else.",
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": MAX_MESSAGE_LENGTH}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_message(self):
        """Line breaks count as one character, as the browser's maxlength counts them (it
        sends them as CRLF), and are kept that way."""
        message = self.cleaned_data["message"].replace("\r\n", "\n").strip()
        if len(message) > MAX_MESSAGE_LENGTH:
            raise forms.ValidationError(
                f"Please keep it to {MAX_MESSAGE_LENGTH} characters; this is {len(message)}."
            )
        if not message:
            raise forms.ValidationError("Please say what is wrong.")
        return message


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report(request):
    page = reported_page(request.POST.get("page") or request.GET.get("page"))
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        thanks = reverse("articles:feedback_thanks") + "?" + urlencode({"page": page})
        if form.cleaned_data["website"]:
            return HttpResponseRedirect(thanks)  # a bot: it learns nothing
        key = client_key(request)
        recent = Feedback.objects.filter(
            client=key, created__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if recent >= MAX_REPORTS_PER_HOUR:
            form.add_error(
                None,
                "You have sent several reports in the last hour, so this one was not sent. "
                f"Please try again later, or write to {settings.CONTACT_EMAIL}.",
            )
            status = 429
        else:
            feedback = form.save(commit=False)
            feedback.page, feedback.client = page, key
            feedback.save()
            return HttpResponseRedirect(thanks)
    return render(
        request,
        "articles/feedback.html",
        {"form": form, "page": page, "contact_email": settings.CONTACT_EMAIL},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def thanks(request):
    return render(
        request,
        "articles/feedback_thanks.html",
        {"page": reported_page(request.GET.get("page"))},
    )
