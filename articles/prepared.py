"""Reading queries compiled to SQL once per process, not on every request.

Django builds and compiles a queryset's SQL each time it runs it. For the reading pages that
was the larger part of a page's cost with an empty page cache: about 0.6 ms of ORM work around
a query the database answers in well under 0.1 ms (`make bench`, README). The SQL for given
arguments never changes while a process runs, so @prepared keeps it: the first call with some
arguments builds the queryset and compiles it; later calls run the same SQL through
Manager.raw(), which makes model instances with the usual conversions (dates, JSON).

The querysets stay the single source of what a page shows (published(), visible(), ordering),
and tests check that a prepared query returns what its queryset returns. No maintained
library does this: django-prepared-queries (last release January 2019) and
django-prepared-query (July 2018) predate Django 3; hence this small module.

Limits, enforced below: no select_related() or prefetch_related() (raw() cannot split joined
columns between two models; join in Python instead), no values() or annotate(), and the
arguments must be hashable. It reads from DEFAULT_DB_ALIAS unless told `using=`; database
routers are not consulted (the site has one database).
"""

import functools

from django.db import DEFAULT_DB_ALIAS

# Distinct argument tuples kept per query: pages have few (three topics, a handful of
# articles); addresses nobody has (404s) only cycle through the oldest entries.
MAX_KEPT = 512


def prepared(factory):
    """Decorator for factory(*args) -> QuerySet: calling it returns a list of instances."""

    @functools.lru_cache(maxsize=MAX_KEPT)
    def compiled(using, *args):
        queryset = factory(*args)
        if queryset.query.select_related or queryset._prefetch_related_lookups:
            raise ValueError(f"{factory.__qualname__}: raw() cannot select or prefetch related.")
        if queryset._fields is not None or queryset.query.annotations:
            raise ValueError(f"{factory.__qualname__}: raw() makes model instances only.")
        sql, params = queryset.query.get_compiler(using).as_sql()
        return queryset.model, sql, params

    @functools.wraps(factory)
    def run(*args, using=DEFAULT_DB_ALIAS):
        model, sql, params = compiled(using, *args)
        return list(model._default_manager.db_manager(using).raw(sql, params))

    run.queryset = factory  # the queryset itself, for tests and the shell
    run.cache_info = compiled.cache_info
    return run
