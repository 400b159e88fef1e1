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
    model: strawberry.Private[StoredFileModel]

    @strawberry.field(description="The file name as it was uploaded.")
    def filename(self) -> str:
        return self.model.filename

    @strawberry.field(description="The MIME type found from the file's content (not from its name).")
    def content_type(self) -> str:
        return self.model.content_type

    @strawberry.field(description="Size in bytes.")
    def size_bytes(self) -> int:
        return self.model.size_bytes

    @strawberry.field
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(
        description=(
            "A download link valid for 5 minutes, for the viewer who asked for it only: the download must carry the "
            "same viewer's `Authorization: Bearer` token. Null for analysts: files hold personal data."
        )
    )
    def url(self, info: Info) -> str | None:
        viewer = info.context.viewer
        assert viewer is not None, "files are reached only through objects visible to a signed-in viewer"
        assert self.model.id is not None
        if viewer_is_analyst(info):
            return None
        settings = info.context.runtime.settings
        return signed_download_url(
            secret=settings.secret_key,
            public_url=settings.public_url,
            file_id=self.model.id,
            viewer_id=viewer.customer_id,
            now=info.context.runtime.clock.now(),
        )

    @classmethod
    def from_model(cls, model: StoredFileModel) -> Self:
        return cls(model=model)
