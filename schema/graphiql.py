"""GraphiQL from the project's own static files (static/graphiql/), never a CDN: it works offline
and where unpkg is blocked. It opens on the example operations of static/graphiql/examples/
(one tab per file, checked against the schema by tests/test_graphiql.py) with an Authorization
header template."""

from __future__ import annotations

import json
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
STATIC_URL = "/graphiql/static"
HEADERS_TEMPLATE = '{\n  "Authorization": "Bearer <paste the token from the SignIn tab>"\n}'


def example_tabs() -> list[dict[str, str]]:
    return [
        {"query": path.read_text(encoding="utf-8"), "headers": HEADERS_TEMPLATE}
        for path in sorted((STATIC_DIR / "examples").glob("*.graphql"))
    ]


def graphiql_html(endpoint: str = "/graphql") -> str:
    config = {"url": endpoint, "tabs": example_tabs(), "headers": HEADERS_TEMPLATE}
    # Inside <script>: "</" would end the element early.
    embedded = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return template.replace("{static}", STATIC_URL).replace("{config}", embedded)
