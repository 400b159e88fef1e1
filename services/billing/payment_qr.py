"""The payment QR code of a payment document: GOST R 56042-2014 «Стандарты финансовых операций».

`ST0001` is the format, `2` the encoding (UTF-8); then `Key=Value` pairs separated by `|`. Banks' apps read the
payee's details, the personal account and the amount from it, so the customer pays without typing anything.
"""

from __future__ import annotations

from datetime import date

from services.billing.payee import Payee

HEADER = "ST00012"


def _clean(value: str) -> str:
    # The format has no escaping: a separator inside a value would split it into a bogus field.
    return " ".join(value.replace("|", " ").split())


def gost_qr_payload(*, payee: Payee, account_number: str, period: date, closing_balance: int) -> str:
    """The QR text for a statement of `period`: the amount due is the closing balance, or 0 when nothing is owed."""
    month = f"{period.month:02d}"
    fields = {
        "Name": payee.name,
        "PersonalAcc": payee.account,
        "BankName": payee.bank_name,
        "BIC": payee.bic,
        "CorrespAcc": payee.correspondent_account,
        "PayeeINN": payee.inn,
        "KPP": payee.kpp,
        "PersAcc": account_number,
        "Sum": str(max(closing_balance, 0)),
        "Purpose": f"Оплата электроэнергии за {month}.{period.year}, л/с {account_number}",
        "PaymPeriod": f"{month}{period.year}",
    }
    return "|".join([HEADER, *(f"{key}={_clean(value)}" for key, value in fields.items())])
