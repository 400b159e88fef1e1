"""`StoredFile`: a file the portal keeps (an application, an attachment), with a short-lived download link."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.infra import StoredFile as StoredFileModel
from schema.core.access import viewer_is_analyst
from schema.core.context import Info
from services.files.signing import signed_download_url


@strawberry.type(
    name="StoredFile", description="A stored file (an application, an attachment) and a link to download it."
)
class StoredFile:
    file_id: strawberry.Private[int]
    filename: str = strawberry.field(description="The file name as it was uploaded.")
    content_type: str = strawberry.field(description="The MIME type found from the file's content (not from its name).")
    size_bytes: int = strawberry.field(description="Size in bytes.")
    created_at: datetime

    @strawberry.field(
        description=(
            "A download link valid for 5 minutes, for the viewer who asked for it only: the download must carry the "
            "same viewer's `Authorization: Bearer` token. Null for analysts: files hold personal data."
        )
    )
    def url(self, info: Info) -> str | None:
        viewer = info.context.viewer
        assert viewer is not None, "files are reached only through objects visible to a signed-in viewer"
        if viewer_is_analyst(info):
            return None
        settings = info.context.runtime.settings
        return signed_download_url(
            secret=settings.secret_key,
            public_url=settings.public_url,
            file_id=self.file_id,
            viewer_id=viewer.customer_id,
            now=info.context.runtime.clock.now(),
        )

    @classmethod
    def from_row(cls, row: StoredFileModel) -> Self:
        assert row.id is not None
        return cls(
            file_id=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            created_at=row.created_at,
        )
