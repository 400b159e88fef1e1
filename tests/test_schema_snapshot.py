"""`schema.graphql` is committed; this fails when it drifts from the code (`uv run server.py export-schema`)."""

from __future__ import annotations

import pytest

from resolvers.root import schema
from services.platform.settings import PROJECT_ROOT

pytestmark = pytest.mark.smoke


def test_committed_schema_matches_the_code() -> None:
    committed = (PROJECT_ROOT / "schema.graphql").read_text()

    assert committed == schema.as_str() + "\n", "schema.graphql is stale: run `uv run server.py export-schema`"
