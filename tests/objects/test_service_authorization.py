"""The contract access services check their actor themselves, inside their own transaction: only an operator or an
admin (by their role in the database now) takes a request for review or decides it; to anyone else it is missing."""

from __future__ import annotations

import pytest

from models import ContractAccessRequest, StoredFile
from models.enums import ContractAccessStatus, FilePurpose
from services.errors import DomainError, ErrorCode
from services.objects import contracts
from services.platform.runtime import Runtime
from tests.support.callers import make_callers

REFUSED = [("stranger", False), ("analyst", False), ("owner", False), ("operator", True), ("admin", True)]


async def _request(runtime: Runtime, owner_id: int) -> int:
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        application = StoredFile(
            owner_id=owner_id, purpose=FilePurpose.CONTRACT_APPLICATION, storage_key="contract_application/" + "1" * 32,
            filename="a.pdf", content_type="application/pdf", size_bytes=1, sha256="1" * 64, created_at=now,
        )  # fmt: skip
        session.add(application)
        await session.flush()
        assert application.id is not None
        request = ContractAccessRequest(
            customer_id=owner_id, inn="7802312751", contract_number="15-000123", application_file_id=application.id,
            created_at=now,
        )  # fmt: skip
        session.add(request)
        await session.commit()
    assert request.id is not None
    return request.id


async def _status(runtime: Runtime, request_id: int) -> ContractAccessStatus:
    async with runtime.db.session() as session:
        request = await session.get(ContractAccessRequest, request_id)
        assert request is not None
        await session.refresh(request)
        return request.status


@pytest.mark.parametrize(("caller", "allowed"), REFUSED)
async def test_only_staff_writers_take_a_request_for_review(runtime: Runtime, caller: str, allowed: bool) -> None:
    people = (await make_callers(runtime)).people
    assert people["owner"].id is not None
    request_id = await _request(runtime, people["owner"].id)
    actor = people[caller].id
    assert actor is not None

    if allowed:
        await contracts.start_review(runtime, request_id=request_id, operator_id=actor)
    else:
        with pytest.raises(DomainError) as refused:
            await contracts.start_review(runtime, request_id=request_id, operator_id=actor)
        assert refused.value.problems[0].code is ErrorCode.NOT_FOUND

    assert await _status(runtime, request_id) == (
        ContractAccessStatus.UNDER_REVIEW if allowed else ContractAccessStatus.SUBMITTED
    )


@pytest.mark.parametrize(("caller", "allowed"), REFUSED)
async def test_only_staff_writers_decide_a_request(runtime: Runtime, caller: str, allowed: bool) -> None:
    people = (await make_callers(runtime)).people
    assert people["owner"].id is not None
    request_id = await _request(runtime, people["owner"].id)
    actor = people[caller].id
    assert actor is not None

    async def reject() -> object:
        return await contracts.review_contract_access_request(
            runtime,
            request_id=request_id,
            operator_id=actor,
            decision=contracts.ReviewDecision.REJECT,
            reason="Нет подписи",
        )

    if allowed:
        await reject()
    else:
        with pytest.raises(DomainError) as refused:
            await reject()
        assert refused.value.problems[0].code is ErrorCode.NOT_FOUND

    assert await _status(runtime, request_id) == (
        ContractAccessStatus.REJECTED if allowed else ContractAccessStatus.SUBMITTED
    )
