"""GraphiQL served by the server itself: pinned assets shipped in `static/graphiql/` (no CDN, works offline), a
sign-in helper that keeps `Authorization: Bearer …` in the requests, and each role's example operations as tabs.

The examples are the `.graphql` files of `schema/examples/<role>/`, read once and embedded into the page as JSON.
Asset URLs carry a hash of their content, so the browser may keep them for a year (`immutable`).
"""

from __future__ import annotations

import hashlib
import html
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = PROJECT_ROOT / "static" / "graphiql"
EXAMPLES_DIR = PROJECT_ROOT / "schema" / "examples"
ASSETS_PATH = "/graphiql-assets"
# The order of the tabs: the customer's, the operators', the analysts'.
ROLES = ("customer", "operator", "analyst")
STYLESHEETS = ("graphiql.min.css", "lk-graphiql.css")
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "lk-graphiql.js")
LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Example:
    role: str
    name: str  # the file's stem
    description: str  # the file's first comment line
    query: str


def load_examples(root: Path = EXAMPLES_DIR) -> list[Example]:
    """Every `<role>/*.graphql` under `root`, roles in `ROLES` order, files by name."""
    examples = []
    for role in ROLES:
        for path in sorted((root / role).glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            first = text.lstrip().splitlines()[0] if text.strip() else ""
            description = first.lstrip("#").strip() if first.startswith("#") else ""
            examples.append(Example(role=role, name=path.stem, description=description, query=text))
    return examples


def _asset_url(name: str) -> str:
    digest = hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{ASSETS_PATH}/{name}?v={digest}"


@cache
def graphiql_html() -> str:
    return render_page(load_examples())


def render_page(examples: list[Example]) -> str:
    """The page: local assets only, the examples as JSON in a non-executed script element."""
    config = {
        "examples": [{"role": e.role, "name": e.name, "description": e.description, "query": e.query} for e in examples]
    }
    # `<` escaped so that no example can close the script element.
    config_json = orjson.dumps(config).decode().replace("<", "\\u003c")
    styles = "\n".join(f'    <link rel="stylesheet" href="{html.escape(_asset_url(n))}" />' for n in STYLESHEETS)
    scripts = "\n".join(f'    <script src="{html.escape(_asset_url(n))}"></script>' for n in SCRIPTS)
    return f"""<!doctype html>
<html lang="ru">
  <head>
    <meta charset="utf-8" />
    <title>GraphiQL · ЛК клиента</title>
    <meta name="robots" content="noindex" />
    <link rel="icon" href="data:," />
{styles}
  </head>
  <body>
    <form id="lk-auth" autocomplete="off">
      <span id="lk-signed-out">
        <input id="lk-phone" type="tel" placeholder="+79210000003" aria-label="Телефон" />
        <input id="lk-password" type="password" placeholder="Пароль" aria-label="Пароль" />
        <button id="lk-sign-in" type="submit">Войти</button>
      </span>
      <span id="lk-signed-in" hidden>
        <button id="lk-sign-out" type="button">Выйти</button>
      </span>
      <span id="lk-status" role="status">Не выполнен вход: запросы идут анонимно.</span>
    </form>
    <div id="graphiql">Loading…</div>
    <script type="application/json" id="lk-graphiql-config">{config_json}</script>
{scripts}
  </body>
</html>
"""


class _CachedStaticFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = LONG_CACHE
        return response


def graphiql_routes() -> list[Mount]:
    return [Mount(ASSETS_PATH, app=_CachedStaticFiles(directory=ASSETS_DIR), name="graphiql-assets")]


__all__ = ["Example", "graphiql_html", "graphiql_routes", "load_examples", "render_page"]
