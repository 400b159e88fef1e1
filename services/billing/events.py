"""`statement.issued`: written with each statement the period close or an import stores (the e-receipt sends email
from it), addressed to the account's customers, or to the contract's for an organisation's delivery point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.events.kinds import DomainEvent
from services.events.outbox import account_channel, contract_channel


@dataclass(frozen=True, slots=True)
class StatementIssued(DomainEvent):
    type: ClassVar[str] = "statement.issued"

    statement_id: int
    account_id: int | None  # a household's statement …
    delivery_point_id: int | None  # … or an organisation's delivery point's
    contract_id: int | None
    period: str  # YYYY-MM-DD, the period's first day
    closing_balance: int  # kopecks
    issued_on: str  # YYYY-MM-DD
    due_on: str  # YYYY-MM-DD

    def channels(self) -> tuple[str, ...]:
        if self.account_id is not None:
            return (account_channel(self.account_id),)
        assert self.contract_id is not None, "a delivery point's statement names its contract"
        return (contract_channel(self.contract_id),)
