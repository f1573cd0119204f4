"""`make bench`: how fast and how big the site is, served the way production serves it.

Prepares a throwaway site (SQLite in a temp folder, the shipped content, collectstatic), starts
gunicorn with the repo's config and production settings on a free loopback port, and loads it
with wrk: each page with a warm cache, then again from a second gunicorn whose cache never
keeps anything (every request rendered). Throughput is compared with the floor, a view
returning a fixed small response through the same gunicorn and middleware (scripts/bench_urls.py),
measured in the same run. Then SQL queries per page with an empty cache, for the shipped
content and for an article of 6, 60 and 600 sections, and the sizes of a page, the CSS and the
script. Then the front: nginx with deploy/nginx.conf before a warm gunicorn, every public page
through it over HTTPS against the limit, nginx serving a saved copy of the article page from
a file in the same run (tests/helpers/front.py), and the seconds from an editor's save to the
new text through the front while wrk loads it. Exits 1 when a target is missed.

    .venv/bin/python -m scripts.bench [--seconds 6] [--connections 10]   (from the repo's root)
"""

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers.front import Nginx, save_heading, seconds_until_readers_see, section_path
from tests.helpers.servers import EDITOR, Client, Gunicorn, free_port, production_env

ROOT = Path(__file__).resolve().parent.parent

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")

PAGES = {
    "home": "/",
    "topic": "/relief/",
    "article": "/articles/calf-muscle-spasm/",
    "section": "/articles/calf-muscle-spasm/relief/",
}
FLOOR = "/bench/floor/"
TARGET_WARM = 0.8
TARGET_COLD = 0.12
PROFILE_RENDERS = 30  # of each shipped page, for the profile summary
# Through the front, over HTTPS: every public page against nginx serving a saved copy.
FRONT_PAGES = {
    **PAGES,
    "source": "/articles/calf-muscle-spasm/source/",
    "about": "/about/",
}
LIMIT = "/saved-article.html"
TARGET_FRONT = 0.5
TARGET_EDIT_SECONDS = 2.0
EDITS = 5
# Per page, with an empty cache: one is the content version (articles/cache.py); home and
# /relief/ also read the "During a cramp" box.
MAX_QUERIES = {"home": 3, "topic": 3, "article": 2, "section": 3, "source": 2}
MAX_HTML = 40 * 1024
MAX_CSS = 20 * 1024


CREATE_EDITOR = f"""
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser({EDITOR[0]!r}, "editor@example.com", {EDITOR[1]!r})
"""


def site_env(tmp):
    """Production settings from the environment, as on a server, but for plain-HTTP loopback
    (tests/helpers/servers.py: wrk speaks plain HTTP; HSTS, secure cookies and the rest stay on)."""
    return production_env(
        tmp,
        f"sqlite:///{tmp / 'db.sqlite3'}",
        static_root=tmp / "static",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
    )


def run(command, **kwargs):
    """subprocess.run for the fixed commands below (no shell, no outside input)."""
    return subprocess.run(command, cwd=ROOT, check=True, **kwargs)  # noqa: S603


def manage(env, *args):
    run([PYTHON, "manage.py", *args], env=env, stdout=subprocess.DEVNULL)


def serve(env, tmp, name):
    """gunicorn with the repo's config and production settings, serving the site and the floor
    view (bench_settings), with as many workers as the config asks for."""
    env = {**env, "DJANGO_SETTINGS_MODULE": "bench_settings"}
    return Gunicorn(env, tmp / f"gunicorn-{name}.log", workers=None)


def configured_workers(env):
    """The number of workers the config asks for (gunicorn also restarts them now and then)."""
    config = run(
        [GUNICORN, "-c", "cramps_site/gunicorn.conf.py", "--print-config", "cramps_site.wsgi"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    return int(re.search(r"^workers\s*=\s*(\d+)", config, re.M).group(1))


def wrk(url, seconds, connections):
    """One wrk run: requests per second, p50 and p99 latency (ms), errors."""
    out = run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout

    def latency(percent):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            raise SystemExit(f"Could not read wrk's output:\n{out}")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    if socket_errors := re.search(r"Socket errors: (.*)", out):
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency(50),
        "p99": latency(99),
        "errors": errors,
    }


def measure(server, seconds, connections, warm, rounds=3, pages=PAGES, floor_url=None):
    """Each page against the floor, alternating in short runs.

    The machine may be shared: the floor and the page take turns (`rounds` times each, the
    page's seconds split between them), so a busy neighbour slows both alike, and a page's
    ratio is its mean throughput over the floor's mean measured alongside it.
    """
    slice_ = max(1, round(seconds / rounds))
    floor_url = floor_url or server.url + FLOOR
    results, floors = {}, []
    for name, path in pages.items():
        if warm:
            Client(server.url).get(path)  # the first request renders and stores the page
        runs, beside = [], []
        for _ in range(rounds):
            beside.append(wrk(floor_url, slice_, connections))
            runs.append(wrk(server.url + path, slice_, connections))
        floors += beside
        results[name] = combine(runs)
        results[name]["ratio"] = results[name]["rps"] / combine(beside)["rps"]
    return {"floor": {**combine(floors), "ratio": 1.0}, **results}


def saved_copy_server(folder, port, html):
    """nginx serving `html` from a file on `port`, TLS as the front's: the limit."""
    (folder / "saved").mkdir(parents=True, exist_ok=True)
    (folder / "saved" / LIMIT.lstrip("/")).write_bytes(html)
    return f"""
        server {{
            listen 127.0.0.1:{port} ssl;
            ssl_certificate {folder}/tls/cert.pem;
            ssl_certificate_key {folder}/tls/key.pem;
            ssl_protocols TLSv1.2 TLSv1.3;
            ssl_session_cache shared:bench_tls:10m;
            access_log off;
            location / {{ root {folder}/saved; default_type text/html; }}
        }}
    """


def measure_front(env, tmp, seconds, connections):
    """Every public page through the front against the saved copy, and saves to readers."""
    front_port = free_port()
    env = {
        **env,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{front_port}",
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    app = Gunicorn(env, tmp / "gunicorn-front.log", workers=None)
    try:
        article = Client(app.url).get(PAGES["article"]).body
        folder, limit_port = tmp / "front", free_port()
        nginx = Nginx(
            folder,
            [app.port],
            https_port=front_port,
            workers="auto",
            extra_http=saved_copy_server(folder, limit_port, article),
        )
        try:
            limit_url = f"https://127.0.0.1:{limit_port}{LIMIT}"
            results = measure(
                nginx, seconds, connections, True, pages=FRONT_PAGES, floor_url=limit_url
            )
            edits = measure_edits(nginx, seconds, connections)
        finally:
            nginx.stop()
    finally:
        app.stop()
    return results, edits


def measure_edits(nginx, seconds, connections):
    """Seconds from an editor's save to the new text on every page showing it, under load."""
    editor = nginx.client()
    editor.log_in()
    path = section_path(editor, "Three measures to relieve leg cramps and night pain")
    pages = [PAGES["topic"], PAGES["article"], PAGES["section"]]
    load = subprocess.Popen(  # noqa: S603
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds * 4}s", nginx.url + PAGES["article"]],  # noqa: S607
        stdout=subprocess.DEVNULL,
    )
    try:
        times = []
        for n in range(EDITS):
            heading = f"Three ways to ease a cramp (bench {n})"
            times.append(
                seconds_until_readers_see(
                    nginx, heading, save_heading(editor, path, heading), pages
                )
            )
    finally:
        load.terminate()
        load.wait(timeout=30)
    return times


def combine(runs):
    """Several wrk runs of one address as one: mean throughput, median p50, worst p99."""
    return {
        "rps": sum(r["rps"] for r in runs) / len(runs),
        "p50": sorted(r["p50"] for r in runs)[len(runs) // 2],
        "p99": max(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def count_queries(env):
    """SQL queries per page, empty cache, from a child process (Django set up in-process)."""
    out = run(
        [PYTHON, "-m", "scripts.bench", "--count-queries"],
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "cramps_site.settings",
            "DJANGO_CACHE_DISABLED": "1",
            "DATABASE_URL": f"sqlite:///{Path(env['DJANGO_VAR_DIR']) / 'queries.sqlite3'}",
        },
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def _count_queries_here():
    """Runs in the child: a fresh database, Django's test client, CaptureQueriesContext."""
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    django.setup()
    setup_test_environment()  # the test client's host, 'testserver', becomes allowed
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)

    from articles.models import Article, Kind, Section, Status

    client = Client()

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        assert status == 200, (path, status)
        return len(captured)

    shipped = {name: queries(path) for name, path in PAGES.items()}
    shipped["source"] = queries("/articles/calf-muscle-spasm/source/")
    columns = {"shipped content": shipped}
    profile = _profile_here(client)
    article = Article.objects.create(
        title="Bench",
        slug="bench",
        publisher="Bench",
        source_title="Bench",
        source_text="Bench.",
        intro="Bench.",
        status=Status.PUBLISHED,
    )
    kinds = list(Kind)
    for total in (6, 60, 600):
        for n in range(article.sections.count() + 1, total + 1):
            Section.objects.create(
                article=article,
                kind=kinds[n % 3],
                heading=f"Heading {n}",
                slug=f"section-{n}",
                body=f"### Sub {n} {{#sub-{n}}}\n\nBody text {n}.",
                position=n,
                status=Status.PUBLISHED,
            )
        columns[f"{total} sections"] = {
            "home": queries("/"),
            "topic": queries("/relief/"),
            "article": queries("/articles/bench/"),
            "section": queries("/articles/bench/section-1/"),
            "source": queries("/articles/bench/source/"),
        }
    print(json.dumps({"queries": columns, "profile": profile}))


def _profile_here(client):
    """Where an uncached page's time goes: the functions that took most of it, by their own
    time, over PROFILE_RENDERS renders of each shipped page (cProfile, in the child)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_RENDERS):
        for path in PAGES.values():
            client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt
    by_area = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        area = _area(filename)
        by_area[area] = by_area.get(area, 0) + own
    per_page = 1000 * total / (PROFILE_RENDERS * len(PAGES))
    rows = sorted(by_area.items(), key=lambda item: -item[1])[:8]
    return {
        "ms_per_page": per_page,
        "areas": [(area, 100 * own / total) for area, own in rows],
    }


def _area(filename):
    """A profile entry's part of the stack: the site, Django's templates, its ORM, ..."""
    for marker, area in (
        ("/django/template/", "Django templates"),
        ("/django/db/", "Django ORM and database driver"),
        ("/django/urls/", "URL resolving and reverse()"),
        ("/django/core/handlers/", "request handling and middleware"),
        ("/django/middleware/", "request handling and middleware"),
        ("/django/", "Django, other"),
        ("sqlite3", "Django ORM and database driver"),
        ("/articles/", "the site's own code"),
        ("/cramps_site/", "the site's own code"),
    ):
        if marker in filename:
            return area
    return "Python and other libraries"


def sizes(server, static_root):
    """Bytes, raw and compressed, of the biggest article page, the CSS and the script."""
    rows = {}
    for path in ("/articles/calf-muscle-spasm/", "/articles/sleeping-foot-cramp/"):
        html = Client(server.url).get(path).body
        rows[f"HTML {path}"] = html
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ("css/site.css", "js/share.js"):
        rows[f"{name} ({manifest[name]})"] = (static_root / manifest[name]).read_bytes()

    import brotli

    table = {}
    for label, data in rows.items():
        table[label] = {
            "raw": len(data),
            "gzip": len(gzip.compress(data, compresslevel=6)),
            "brotli": len(brotli.compress(data, quality=11)),
        }
    article_html = rows["HTML /articles/calf-muscle-spasm/"].decode()
    # JSON data blocks (structured data) are never run, so they do not count as scripts.
    scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", article_html)
        if not re.search(r"""type=["']?application/(ld\+)?json""", tag)
    ]
    inline_scripts = [tag for tag in scripts if "src=" not in tag]
    return table, inline_scripts, scripts


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()  # noqa: S603, S607
    return (
        f"{cpu}, {len(os.sched_getaffinity(0))} cores available, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"wrk {wrk_version[1] if len(wrk_version) > 1 else '?'}"
    )


def kb(n):
    return f"{n / 1024:.1f} KB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=6, help="of load per page, and as much for its floor"
    )
    parser.add_argument("--connections", type=int, default=10, help="wrk connections")
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_queries:
        return _count_queries_here()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
        return "PASS" if ok else "FAIL"

    with tempfile.TemporaryDirectory(prefix="cramps-bench.") as tmp_name:
        tmp = Path(tmp_name)
        env = site_env(tmp)
        print("Preparing a throwaway site (migrate, load_content, collectstatic)...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_content")
        manage(env, "collectstatic", "--noinput")
        manage(env, "shell", "-c", CREATE_EDITOR)

        workers = None
        runs = {}
        for mode, extra in (("warm", {}), ("cold", {"DJANGO_CACHE_DISABLED": "1"})):
            print(f"Loading it with wrk: {mode} cache...", flush=True)
            server = serve({**env, **extra}, tmp, mode)
            try:
                runs[mode] = measure(server, args.seconds, args.connections, mode == "warm")
                if mode == "warm":
                    size_table, inline_scripts, scripts = sizes(server, tmp / "static")
                    workers = configured_workers(env)
            finally:
                server.stop()
        print("Loading the front (nginx, deploy/nginx.conf) and saving as an editor...", flush=True)
        front, edits = measure_front(env, tmp, args.seconds, args.connections)
        print("Counting queries and profiling uncached pages...", flush=True)
        counted = count_queries(env)
        queries, profile = counted["queries"], counted["profile"]

    print()
    print(f"Machine: {machine()}")
    print(
        f"gunicorn: {workers} sync workers (cramps_site/gunicorn.conf.py), production settings; "
        f"wrk: 2 threads, {args.connections} connections, {args.seconds} s per page "
        "in 3 runs, each after a run of the floor"
    )
    for mode, target in (("warm", TARGET_WARM), ("cold", TARGET_COLD)):
        title = "warm cache" if mode == "warm" else "empty cache (every request rendered)"
        print(f"\nThroughput, {title}; target: pages at {target} of the floor or more, no errors")
        print(f"  {'':16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x floor':>9}")
        for name, r in runs[mode].items():
            is_floor = name == "floor"
            verdict = (
                check(r["errors"] == 0, f"{mode} {name}: errors")
                if is_floor
                else check(
                    r["ratio"] >= target and r["errors"] == 0,
                    f"{mode} {name}: {r['ratio']:.2f} of the floor, {r['errors']} errors",
                )
            )
            print(
                f"  {name:16}{r['rps']:9.0f}{r['p50']:9.2f}{r['p99']:9.2f}"
                f"{r['errors']:8d}{r['ratio']:9.2f}  {verdict}"
            )

    print(
        f"\nThrough the front (nginx with deploy/nginx.conf, HTTPS, {args.connections} "
        f"connections), against nginx serving a saved copy of the article page (the limit); "
        f"target: every page at {TARGET_FRONT} of the limit or more, no errors"
    )
    print(f"  {'':16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x limit':>9}")
    for name, r in front.items():
        is_limit = name == "floor"
        verdict = (
            check(r["errors"] == 0, "front limit: errors")
            if is_limit
            else check(
                r["ratio"] >= TARGET_FRONT and r["errors"] == 0,
                f"front {name}: {r['ratio']:.2f} of the limit, {r['errors']} errors",
            )
        )
        label = "limit (saved)" if is_limit else name
        print(
            f"  {label:16}{r['rps']:9.0f}{r['p50']:9.2f}{r['p99']:9.2f}"
            f"{r['errors']:8d}{r['ratio']:9.2f}  {verdict}"
        )
    verdict = check(max(edits) <= TARGET_EDIT_SECONDS, f"save to readers: {max(edits):.2f} s")
    print(
        f"\nFrom an editor's save to the new text on every page showing it, through the front "
        f"under wrk's load; target: {TARGET_EDIT_SECONDS:.0f} s\n"
        f"  {len(edits)} saves: min {min(edits):.2f} s, "
        f"median {sorted(edits)[len(edits) // 2]:.2f} s, "
        f"max {max(edits):.2f} s  {verdict}"
    )

    print(
        f"\nWhere an uncached page's time goes (cProfile, {PROFILE_RENDERS} renders of each "
        f"page in one process, {profile['ms_per_page']:.1f} ms a page under the profiler)"
    )
    for area, share in profile["areas"]:
        print(f"  {area:40}{share:6.1f} %")

    limits = ", ".join(f"{page} {n}" for page, n in MAX_QUERIES.items())
    print(f"\nSQL queries per page, empty cache; target: at most {limits}, same for 6 and 600")
    columns = list(queries)
    print(f"  {'':10}" + "".join(f"{c:>17}" for c in columns))
    for page in queries[columns[0]]:
        counts = [queries[c][page] for c in columns]
        ok = max(counts) <= MAX_QUERIES[page] and (
            queries["6 sections"][page] == queries["600 sections"][page]
        )
        verdict = check(ok, f"queries for {page}: {counts}")
        print(f"  {page:10}" + "".join(f"{n:>17}" for n in counts) + f"  {verdict}")

    print(f"\nSizes (gzip -6, brotli -q 11); targets: HTML < {kb(MAX_HTML)}, CSS < {kb(MAX_CSS)}")
    print(f"  {'':64}{'raw':>10}{'gzip':>10}{'brotli':>10}")
    for label, row in size_table.items():
        limit = MAX_HTML if label.startswith("HTML") else MAX_CSS if ".css" in label else None
        verdict = check(row["raw"] < limit, f"size of {label}") if limit else ""
        print(
            f"  {label:64}{kb(row['raw']):>10}{kb(row['gzip']):>10}{kb(row['brotli']):>10}"
            f"  {verdict}"
        )
    deferred = all(re.search(r"\b(defer|async)\b", tag) for tag in scripts)
    verdict = check(not inline_scripts and deferred, "a script is needed to read")
    print(
        f"  Scripts on an article page: {len(scripts)}, all external and deferred, "
        f"none inline; the text is in the HTML  {verdict}"
    )

    print()
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS: every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
