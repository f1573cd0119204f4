"""Helpers shared by the tests and `make bench`: the site served as in production, and the
admin's forms as POST data. Not tests themselves: importable from the repo's root, where
pytest runs (pythonpath in pyproject.toml) and bench runs as `python -m scripts.bench`."""
