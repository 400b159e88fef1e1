"""E-receipts go out through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform.settings import EmailGateway, Settings
from tests.support.identity import SmtpInbox, local_smtp_server
from tests.support.yookassa import local_yookassa, yookassa

__all__ = ["local_yookassa", "yookassa"]


@pytest.fixture
def smtp() -> Iterator[SmtpInbox]:
    with local_smtp_server() as inbox:
        yield inbox


@pytest.fixture
def settings(tmp_path: Path, smtp: SmtpInbox) -> Settings:
    return Settings(
        database_url="postgresql://unused",
        redis_url=None,
        data_dir=tmp_path / "data",
        email_gateway=EmailGateway.SMTP,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
    )
