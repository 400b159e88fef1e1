"""Every kind of email made at send time, and what makes it: listed here, nothing registers itself on import."""

from __future__ import annotations

from services.ereceipts.email import compose_e_receipt
from services.ereceipts.queue import E_RECEIPT
from services.messaging.compose import Composer

COMPOSERS: dict[str, Composer] = {
    E_RECEIPT: compose_e_receipt,  # the statement's PDF, amount due and pay link
}
