"""`ReceiptDelivery`: how the viewer gets the payment documents of one account («Настройка получения квитанций»)."""

from __future__ import annotations

import strawberry

from models.objects import AccountLink


@strawberry.type(description="How the viewer receives an account's payment documents (квитанции).")
class ReceiptDelivery:
    electronic: bool = strawberry.field(description="True: PDF receipts by email; false: paper.")
    email: str | None = strawberry.field(description="The address receipts go to (kept when turned off).")

    @classmethod
    def from_link(cls, link: AccountLink) -> ReceiptDelivery:
        return cls(electronic=link.receipt_electronic, email=link.receipt_email)
