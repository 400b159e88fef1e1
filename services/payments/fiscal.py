"""The 54-ФЗ receipt (кассовый чек) of a portal payment: what the supplier must tell the provider's cash register.

54-ФЗ ст. 1.2 п. 5: paid online, the receipt goes to the customer's email or phone, so one of them is always sent.
ст. 4.7 п. 1: each line names the subject (предмет расчёта, tag 1212), the mode (способ расчёта, tag 1214) and
the VAT rate (tag 1199).

- Electricity already consumed (billed by a statement) is a service paid in full («услуга», «полный расчёт»); what
  is paid beyond the debt is an advance for future supply («аванс»), a line of its own.
- Penalty (пени) and state duty (госпошлина) are not a sale: НК РФ ст. 146 does not tax them, so «без НДС» and
  subject «иной предмет расчёта».
- VAT on electricity: 20 % until 2025-12-31, 22 % from 2026-01-01 (НК РФ ст. 164 п. 3 as amended by Federal Law of
  28.11.2025 № 425-ФЗ). On an advance the rate is the calculated one, 20/120 or 22/122 (ст. 164 п. 4).
"""

from __future__ import annotations

from datetime import date

from services.payments.provider import ReceiptItem

VAT_22_FROM = date(2026, 1, 1)
# ЮKassa's vat_code values (API v3, receipt.items[].vat_code).
VAT_NONE = 1
VAT_20 = 4
VAT_20_120 = 6
VAT_22 = 11
VAT_22_122 = 12
SUBJECT_SERVICE = "service"
SUBJECT_OTHER = "another"
MODE_FULL_PAYMENT = "full_payment"
MODE_ADVANCE = "advance"
MAX_DESCRIPTION = 128  # ЮKassa: receipt.items[].description, tag 1030


def electricity_vat_code(*, on: date, advance: bool) -> int:
    if on >= VAT_22_FROM:
        return VAT_22_122 if advance else VAT_22
    return VAT_20_120 if advance else VAT_20


def receipt_items(
    *, account_number: str, electricity: int, penalty: int, state_duty: int, owed_electricity: int, on: date
) -> tuple[ReceiptItem, ...]:
    """The lines of the receipt; their amounts add up to the payment (the provider refuses any other sum)."""
    for_debt = min(electricity, max(owed_electricity, 0))
    advance = electricity - for_debt
    lines: list[ReceiptItem] = []
    if for_debt:
        lines.append(
            ReceiptItem(
                description=f"Электроэнергия, л/с {account_number}",
                amount=for_debt,
                vat_code=electricity_vat_code(on=on, advance=False),
                payment_subject=SUBJECT_SERVICE,
                payment_mode=MODE_FULL_PAYMENT,
            )
        )
    if advance:
        lines.append(
            ReceiptItem(
                description=f"Аванс за электроэнергию, л/с {account_number}",
                amount=advance,
                vat_code=electricity_vat_code(on=on, advance=True),
                payment_subject=SUBJECT_SERVICE,
                payment_mode=MODE_ADVANCE,
            )
        )
    for amount, name in ((penalty, "Пени"), (state_duty, "Госпошлина")):
        if amount:
            lines.append(
                ReceiptItem(
                    description=f"{name}, л/с {account_number}",
                    amount=amount,
                    vat_code=VAT_NONE,
                    payment_subject=SUBJECT_OTHER,
                    payment_mode=MODE_FULL_PAYMENT,
                )
            )
    return tuple(lines)
