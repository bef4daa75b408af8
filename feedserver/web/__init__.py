"""Server-rendered pages for members (aiohttp-jinja2, autoescaped; no front-end build).

The page handlers here play the `http` layer's role: read the form, call `feedserver.domain`
(which asks `domain/access.py`), render a template. No SQL. One module per area, one template
per page, so later pages (my feeds, people directory, profiles, FAQ) slot in beside them.
"""
