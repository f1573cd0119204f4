"""Helpers shared by the tests and `make bench`: the site served as in production, and the
admin's forms as POST data. Importable from the repo's root: pytest puts it on the path
(pythonpath in pyproject.toml) and bench runs as `python -m scripts.bench` from there."""
