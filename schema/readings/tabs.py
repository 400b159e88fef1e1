"""The «Показания» tab, shared by personal accounts and contracts: accepted and submitted readings."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry
from strawberry import relay

from loaders.pages import PageLoader
from schema.core.context import Info
from schema.core.period import PeriodFilter
from schema.readings.pages import reading_page, submission_page
from schema.readings.reading import Reading, ReadingSubmission


@strawberry.type
class ReadingTabs:
    """Fields of an object whose meters' readings are paged by `reading_pages` / `submission_pages`."""

    model: strawberry.Private[Any]
    reading_pages: ClassVar[type[PageLoader]]
    submission_pages: ClassVar[type[PageLoader]]

    @property
    def pk(self) -> int:
        assert self.model.id is not None
        return int(self.model.id)

    @strawberry.field(description="Accepted readings («Принятые») of all meters, or of one `meter`, the latest first.")
    async def readings(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        period: PeriodFilter | None = None,
        meter: relay.GlobalID | None = None,
    ) -> relay.Connection[Reading]:
        return await reading_page(
            info, self.reading_pages, self.pk, first=first, after=after, period=period, meter=meter
        )

    @strawberry.field(
        description="Submitted readings («Переданные») of all meters, or of one `meter`, the latest first."
    )
    async def reading_submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        period: PeriodFilter | None = None,
        meter: relay.GlobalID | None = None,
    ) -> relay.Connection[ReadingSubmission]:
        return await submission_page(
            info, self.submission_pages, self.pk, first=first, after=after, period=period, meter=meter
        )
