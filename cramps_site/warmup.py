"""Work each gunicorn worker would do on its first requests, done once in the master instead.

With preload_app, gunicorn loads Django in the master and forks every worker from it, again
each time max_requests recycles one. What the master has done before forking, each worker has
for free. Compiling the page templates and building the URL resolver took about 0.15 s of a
new worker's first requests, so every recycled worker answered its first readers slowly.
Nothing here may open a connection (database, cache): forked workers must not share one.
"""

from django.template import engines
from django.urls import reverse

from articles.context_processors import site_links


def warm_up():
    env = engines["jinja2"].env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    reverse("articles:home")  # builds the URL resolver and its reverse lookups
    site_links(None)  # the header's and footer's addresses (static files' hashed names)
