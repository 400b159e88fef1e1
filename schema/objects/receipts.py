"""`ReceiptDelivery`: how the viewer gets the payment documents of one account or contract («Настройка получения
квитанций»)."""

from __future__ import annotations

import strawberry

from models.objects import AccountLink, ContractLink


@strawberry.type(
    description="How the viewer receives an account's or a contract's payment documents (квитанции, счета)."
)
class ReceiptDelivery:
    electronic: bool = strawberry.field(description="True: PDF receipts by email; false: paper.")
    email: str | None = strawberry.field(description="The address receipts go to (kept when turned off).")

    @classmethod
    def from_link(cls, link: AccountLink | ContractLink) -> ReceiptDelivery:
        return cls(electronic=link.receipt_electronic, email=link.receipt_email)
