"""What search engines and chat apps read: the breadcrumb trail and JSON-LD structured data.

The visible breadcrumb and the JSON-LD BreadcrumbList come from the same trail, so they
always match: the view makes it once and gives it to both.
"""

from django.urls import reverse

from .models import Kind

SITE_NAME = "Night Cramps"
CONDITION = {
    "@type": "MedicalCondition",
    "name": "Nocturnal leg cramps",
    "alternateName": ["Night cramps", "Calf cramps at night", "Sleep-related leg cramps"],
}
# schema.org MedicalWebPage "aspect" values for our three kinds of section.
ASPECTS = {Kind.CAUSES: "Causes", Kind.RELIEF: "Treatment", Kind.PREVENTION: "Prevention"}


def breadcrumb_trail(*, article=None, section=None, kind=None, kind_title=None, source=False):
    """[(name, path), ...] from the home page down to this page; a topic is named
    `kind_title` when the page has its title from the editors."""
    trail = [("Home", reverse("articles:home"))]
    if kind is not None:
        name = kind_title or Kind(kind).title
        trail.append((name, reverse("articles:topic", kwargs={"kind": kind})))
    if article is not None:
        trail.append((article.title, article.get_absolute_url()))
    if section is not None:
        trail.append((section.display_heading, section.get_absolute_url()))
    if source:
        trail.append(("Source text", article.get_source_url()))
    return trail


def _organization(name, url=None):
    organization = {"@type": "Organization", "name": name}
    if url:
        organization["url"] = url
    return organization


def _based_on(article, absolute):
    return {
        "@type": "Article",
        "name": article.source_title,
        "publisher": _organization(article.publisher),
        "url": absolute(article.get_source_url()),
        "description": "A machine translation from a Chinese-language web page, kept as published.",
    }


def structured_data(request, *, trail, title, description, article=None, section=None,
                    kind=None, sections=(), changed=None, review=None):  # fmt: skip
    """The JSON-LD graph for a content page: a MedicalWebPage and its BreadcrumbList.

    `trail` is the page's breadcrumb_trail(); it starts at the home page; `changed` is when
    the page's text last changed, as the page says ("Last updated"); `review`, the review of
    what it shows, as the page says ("Page last reviewed")."""
    absolute = request.build_absolute_uri
    page_url = absolute(request.path)
    page = {
        "@type": "MedicalWebPage",
        "@id": page_url,
        "url": page_url,
        "name": title,
        "description": description,
        "inLanguage": "en",
        "about": CONDITION,
        "publisher": _organization(SITE_NAME, absolute(trail[0][1])),
        "breadcrumb": {"@id": f"{page_url}#breadcrumb"},
    }
    if section is not None or kind is not None:
        page["aspect"] = ASPECTS[Kind(section.kind if section is not None else kind)]
    if changed is not None:
        page["dateModified"] = changed.isoformat()
    if article is not None:
        page["isBasedOn"] = _based_on(article, absolute)
        if review is not None and review.is_reviewed:
            page["lastReviewed"] = review.last_reviewed.isoformat()
            page["reviewedBy"] = {
                "@type": "Person",
                "name": review.reviewed_by,
                "jobTitle": review.reviewer_role,
            }
    elif sections:
        articles = {section.article_id: section.article for section in sections}.values()
        page["isBasedOn"] = [_based_on(item, absolute) for item in articles]
    breadcrumbs = {
        "@type": "BreadcrumbList",
        "@id": f"{page_url}#breadcrumb",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": absolute(path)}
            for position, (name, path) in enumerate(trail, start=1)
        ],
    }
    return {"@context": "https://schema.org", "@graph": [page, breadcrumbs]}
