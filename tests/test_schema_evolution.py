"""Frontends are not broken unknowingly: a breaking change since the last released schema must be in CHANGELOG.md."""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes

from services.platform.settings import PROJECT_ROOT


def unrecorded_breaking_changes(released_sdl: str, current_sdl: str, changelog: str) -> list[str]:
    """The breaking changes from `released_sdl` to `current_sdl` whose description the changelog does not hold."""
    changes = find_breaking_changes(build_schema(released_sdl), build_schema(current_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes if change.description not in changelog]


def test_every_breaking_change_since_the_release_is_recorded_in_the_changelog() -> None:
    released = (PROJECT_ROOT / "schema.released.graphql").read_text()
    current = (PROJECT_ROOT / "schema.graphql").read_text()
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text()

    assert unrecorded_breaking_changes(released, current, changelog) == []


def test_a_removed_field_or_a_new_required_argument_is_breaking_until_recorded() -> None:
    released = (PROJECT_ROOT / "schema.released.graphql").read_text()
    field = released[released.index('  """\n  Where to download the application form') :]
    field = field[
        : field.index("contractAccessApplicationTemplateUrl: String!\n")
        + len("contractAccessApplicationTemplateUrl: String!\n")
    ]
    removed = released.replace(field, "", 1)
    required = released.replace(
        "  contractAccessApplicationTemplateUrl: String!\n",
        "  contractAccessApplicationTemplateUrl(format: String!): String!\n",
        1,
    )
    assert removed != released
    assert required != released

    assert unrecorded_breaking_changes(released, removed, "") == [
        "FIELD_REMOVED: Field Query.contractAccessApplicationTemplateUrl was removed."
    ]
    assert unrecorded_breaking_changes(released, required, "") == [
        "REQUIRED_ARG_ADDED: A required argument Query.contractAccessApplicationTemplateUrl(format:) was added."
    ]
    recorded = "- Field Query.contractAccessApplicationTemplateUrl was removed. Use the link in the help pages."
    assert unrecorded_breaking_changes(released, removed, recorded) == []


def test_an_added_field_or_a_deprecation_is_not_breaking() -> None:
    released = (PROJECT_ROOT / "schema.released.graphql").read_text()
    evolved = released.replace(
        "  contractAccessApplicationTemplateUrl: String!\n",
        '  contractAccessApplicationTemplateUrl: String! @deprecated(reason: "Use templateUrls.")\n'
        "  templateUrls: [String!]!\n",
        1,
    )
    assert evolved != released

    assert unrecorded_breaking_changes(released, evolved, "") == []
