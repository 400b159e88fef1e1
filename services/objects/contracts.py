"""Contract access for organisations and ИП: a request with the signed application, reviewed by an operator.

Contract numbers are the supplier's `NN-NNNNNN` (e.g. `15-000123`): a two-digit series, a hyphen and six digits, as
printed on contracts and used in the demo data. The request's status moves SUBMITTED → UNDER_REVIEW (an operator
opened it) → APPROVED (the contract is linked) or REJECTED (with a reason); either decision sends an SMS.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ContractAccessStatus, FilePurpose
from models.identity import Customer
from models.objects import Contract, ContractAccessRequest, ContractLink
from services.errors import DomainError, ErrorCode, Problem
from services.events.outbox import record_event
from services.files.uploads import UploadSource, read_checked, stored_file
from services.identity.actors import is_staff_writer
from services.objects import notices
from services.objects.events import ContractAccessRequestChanged, ContractAccessRequested
from services.objects.inn import is_valid_inn, normalize_inn
from services.platform.database import Database
from services.platform.runtime import Runtime

CONTRACT_NUMBER = re.compile(r"\d{2}-\d{6}")
MAX_REASON_LENGTH = 1000
REVIEWED = frozenset({ContractAccessStatus.APPROVED, ContractAccessStatus.REJECTED})


class ReviewDecision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


def _inn_problem(inn: str) -> Problem | None:
    if is_valid_inn(inn):
        return None
    return Problem(
        ErrorCode.INVALID_INN,
        "Неверный ИНН: 10 цифр для организации, 12 — для ИП. Проверьте его по свидетельству",
        ("input", "inn"),
    )


def _contract_number_problem(number: str) -> Problem | None:
    if number.isascii() and CONTRACT_NUMBER.fullmatch(number):
        return None
    return Problem(
        ErrorCode.INVALID_CONTRACT_NUMBER,
        "Номер договора указывается как в договоре: две цифры, дефис и шесть цифр, например 15-000123",
        ("input", "contractNumber"),
    )


async def request_contract_access(
    runtime: Runtime, *, customer_id: int, inn: str, contract_number: str, application: UploadSource
) -> ContractAccessRequest:
    now = runtime.clock.now()
    inn = normalize_inn(inn)
    number = "".join(contract_number.split())
    checked = await read_checked(application, field=("input", "application"))
    problems = [
        problem
        for problem in (
            _inn_problem(inn),
            _contract_number_problem(number),
            checked if isinstance(checked, Problem) else None,
        )
        if problem is not None
    ]
    if problems:
        raise DomainError(problems)
    assert not isinstance(checked, Problem)
    async with runtime.db.session() as session:
        linked = await session.exec(
            select(ContractLink.id)
            .join(Contract, col(Contract.id) == ContractLink.contract_id)
            .where(ContractLink.customer_id == customer_id, Contract.number == number)
        )
        if linked.first() is not None:
            raise DomainError.single(
                ErrorCode.ALREADY_LINKED, "Этот договор уже добавлен в ваш личный кабинет", "input", "contractNumber"
            )
        async with stored_file(
            session,
            runtime.file_storage,
            checked=checked,
            purpose=FilePurpose.CONTRACT_APPLICATION,
            owner_id=customer_id,
            now=now,
        ) as application_file:
            assert application_file.id is not None
            request = ContractAccessRequest(
                customer_id=customer_id,
                inn=inn,
                contract_number=number,
                application_file_id=application_file.id,
                created_at=now,
            )
            session.add(request)
            await session.flush()
            record_event(session, ContractAccessRequested.of(request), now=now)
            await session.commit()
    return request


def request_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Заявка не найдена", "input", "requestId")


async def _locked_request(session: AsyncSession, request_id: int) -> ContractAccessRequest:
    request = (
        await session.exec(
            select(ContractAccessRequest).where(ContractAccessRequest.id == request_id).with_for_update()
        )
    ).first()
    if request is None:
        raise request_not_found()
    if request.status in REVIEWED:
        raise DomainError.single(ErrorCode.ALREADY_REVIEWED, "Заявка уже рассмотрена", "input", "requestId")
    return request


async def start_review(runtime: Runtime, *, request_id: int, operator_id: int) -> ContractAccessRequest:
    """An operator opened the request: the customer sees it is under review. Opening it again changes nothing."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        if not await is_staff_writer(session, operator_id):
            raise request_not_found()  # only operators and admins review: to others the request is not there
        request = await _locked_request(session, request_id)
        if request.status is ContractAccessStatus.SUBMITTED:
            request.status = ContractAccessStatus.UNDER_REVIEW
            session.add(request)
            record_event(session, ContractAccessRequestChanged.of(request), now=now)
            await session.commit()
        return request


async def review_contract_access_request(
    runtime: Runtime, *, request_id: int, operator_id: int, decision: ReviewDecision, reason: str | None
) -> ContractAccessRequest:
    now = runtime.clock.now()
    reason = (reason or "").strip()
    if decision is ReviewDecision.REJECT and not reason:
        raise DomainError.single(
            ErrorCode.REASON_REQUIRED, "Укажите причину отказа: её увидит заявитель", "input", "reason"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, f"Причина — не длиннее {MAX_REASON_LENGTH} символов", "input", "reason"
        )
    async with runtime.db.session() as session:
        if not await is_staff_writer(session, operator_id):
            raise request_not_found()
        request = await _locked_request(session, request_id)
        applicant = await session.get(Customer, request.customer_id)
        assert applicant is not None
        assert applicant.id is not None
        if decision is ReviewDecision.APPROVE:
            contract = (
                await session.exec(
                    select(Contract).where(Contract.number == request.contract_number, Contract.inn == request.inn)
                )
            ).first()
            if contract is None or contract.id is None:
                raise DomainError.single(
                    ErrorCode.NOT_FOUND,
                    f"Договора № {request.contract_number} с ИНН {request.inn} нет. Отклоните заявку, указав причину",
                    "input",
                    "decision",
                )
            already = await session.exec(
                select(ContractLink.id).where(
                    ContractLink.customer_id == applicant.id, ContractLink.contract_id == contract.id
                )
            )
            if already.first() is None:
                session.add(ContractLink(customer_id=applicant.id, contract_id=contract.id, linked_at=now))
            request.status = ContractAccessStatus.APPROVED
            request.contract_id = contract.id
            notices.contract_added(session, runtime.settings, applicant, number=contract.number, now=now)
        else:
            request.status = ContractAccessStatus.REJECTED
            request.rejection_reason = reason
            notices.contract_request_rejected(
                session, runtime.settings, applicant, number=request.contract_number, reason=reason, now=now
            )
        request.reviewed_by_id = operator_id
        request.reviewed_at = now
        session.add(request)
        record_event(session, ContractAccessRequestChanged.of(request), now=now)
        await session.commit()
        return request


async def requests_page(
    db: Database, *, status: ContractAccessStatus | None, limit: int, after: tuple[datetime, int] | None
) -> list[ContractAccessRequest]:
    """Requests oldest first (the queue an operator works through), `limit` of them after the cursor `after`."""
    statement = select(ContractAccessRequest)
    if status is not None:
        statement = statement.where(ContractAccessRequest.status == status)
    if after is not None:
        created_at, request_id = after
        statement = statement.where(
            (col(ContractAccessRequest.created_at) > created_at)
            | ((col(ContractAccessRequest.created_at) == created_at) & (col(ContractAccessRequest.id) > request_id))
        )
    statement = statement.order_by(col(ContractAccessRequest.created_at), col(ContractAccessRequest.id)).limit(limit)
    async with db.session() as session:
        return list((await session.exec(statement)).all())
