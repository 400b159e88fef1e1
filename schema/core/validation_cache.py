"""Validation once per parsed document: strawberry's `ValidationCache`, keyed by the document object.

strawberry's own cache is an `lru_cache` whose key hashes the `DocumentNode`, and graphql-core hashes a node by
walking every node under it: the whole document, on every request. The parser cache hands the same object for the
same text, so the object itself is the key here (`DocumentMemo`: bounded, holds what it keys).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.core.document_memo import DocumentMemo

_VALIDATIONS: DocumentMemo[list[GraphQLError]] = DocumentMemo()


class DocumentValidationCache(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        schema, document, rules = execution.schema._schema, execution.graphql_document, execution.validation_rules
        if document is not None:  # always, once parsed (validation follows a successful parse only)
            execution.pre_execution_errors = _VALIDATIONS.get(
                (schema, document), rules, lambda: validate_document(schema, document, rules)
            )
        yield
