"""The admin's change forms as the POST data a browser sends, for the test client."""

SECTION_FIELDS = (
    "article", "kind", "status", "heading", "plain_heading", "slug", "position", "body", "plain",
    "help_level", "help_note",
)  # fmt: skip


def latest_record(obj):
    """The saved version the form opens on, as the change form's hidden base_record says."""
    return obj.history.values_list("history_id", flat=True).first() or ""


# The change form's "Save and publish" button: a change to a published page is otherwise kept
# as a draft (articles/publishing.py). Pass publish=False to save a draft.
PUBLISH = {"_publish": "Save and publish"}


def section_form(section, publish=True, **changes):
    data = {field: getattr(section, field) for field in SECTION_FIELDS}
    data |= PUBLISH if publish else {}
    data["article"] = section.article_id
    data["heading_is_editorial"] = "on" if section.heading_is_editorial else ""
    data["base_version"] = section.version
    data["base_record"] = latest_record(section)
    data.update(changes)
    return data


def article_form(article, publish=True, **changes):
    data = {**PUBLISH} if publish else {}
    data |= {
        field: getattr(article, field)
        for field in (
            "title",
            "slug",
            "status",
            "intro",
            "plain_intro",
            "publisher",
            "publisher_category",
            "help_level",
            "help_note",
        )  # fmt: skip
    }
    data["base_version"] = article.version
    data["base_record"] = latest_record(article)
    data |= {"source_title": article.source_title, "source_note": article.source_note}
    sections = list(article.sections.all())
    data |= {
        "sections-TOTAL_FORMS": len(sections),
        "sections-INITIAL_FORMS": len(sections),
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
    }
    for i, section in enumerate(sections):
        data |= {
            f"sections-{i}-id": section.pk,
            f"sections-{i}-article": article.pk,
            f"sections-{i}-position": section.position,
        }
    data.update(changes)
    return data


def page_text_form(text, publish=True, **changes):
    data = {**PUBLISH} if publish else {}
    data |= {
        "heading": text.heading,
        "body": text.body,
        "base_version": text.version,
        "base_record": latest_record(text),
    }
    data.update(changes)
    return data


def change_url(obj):
    return f"/admin/articles/{obj._meta.model_name}/{obj.pk}/change/"
