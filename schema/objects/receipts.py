"""`ReceiptDelivery`: how the viewer gets the payment documents of one account («Настройка получения квитанций»)."""

from __future__ import annotations

import strawberry

from loaders.customer_objects import AccountLinkOf
from models.enums import Role
from models.objects import AccountLink
from schema.core.context import Info


@strawberry.type(description="How the viewer receives an account's payment documents (квитанции).")
class ReceiptDelivery:
    electronic: bool = strawberry.field(description="True: PDF receipts by email; false: paper.")
    email: str | None = strawberry.field(description="The address receipts go to (kept when turned off).")

    @classmethod
    def from_link(cls, link: AccountLink) -> ReceiptDelivery:
        return cls(electronic=link.receipt_electronic, email=link.receipt_email)


async def receipt_delivery_of(info: Info, account_id: int | None) -> ReceiptDelivery | None:
    """The viewer's own setting for the account; None for staff and for accounts not linked to the viewer."""
    viewer = info.context.viewer
    if viewer is None or viewer.role is not Role.CUSTOMER or account_id is None:
        return None
    link = await info.context.loaders.get(AccountLinkOf).load((viewer.customer_id, account_id))
    return ReceiptDelivery.from_link(link) if link is not None else None
