"""Events of contract-access requests: a new request for the operators, a status change for its customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from models.enums import ContractAccessStatus
from models.objects import ContractAccessRequest
from services.events.kinds import DomainEvent
from services.events.outbox import OPERATORS_CHANNEL, customer_channel


@dataclass(frozen=True, slots=True)
class ContractAccessEvent(DomainEvent):
    request_id: int
    customer_id: int
    status: ContractAccessStatus

    def channels(self) -> tuple[str, ...]:
        return (customer_channel(self.customer_id), OPERATORS_CHANNEL)

    @classmethod
    def of(cls, request: ContractAccessRequest) -> Self:
        """Call after setting the request's new status (and flushing a new request, for its id)."""
        assert request.id is not None
        return cls(request_id=request.id, customer_id=request.customer_id, status=request.status)


@dataclass(frozen=True, slots=True)
class ContractAccessRequested(ContractAccessEvent):
    type: ClassVar[str] = "contract_access.requested"


@dataclass(frozen=True, slots=True)
class ContractAccessRequestChanged(ContractAccessEvent):
    """Under review, approved or rejected."""

    type: ClassVar[str] = "contract_access.changed"
