"""The payment document of a statement as a PDF (платёжный документ, «квитанция»), made on the fly.

Everything printed comes from the statement's own rows: the balance, the consumption charges per zone, the
recalculations and the payments it counted, and the payee's bank details with the GOST R 56042-2014 QR code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from models import Charge, Contract, DeliveryPoint, Payment, PersonalAccount, Statement
from models.enums import ChargeKind, TariffZone
from services.billing.payee import SUPPLIER_ADDRESS, SUPPLIER_NAME, SUPPLIER_PHONE, Payee
from services.billing.payment_qr import gost_qr_payload
from services.billing.vat import vat_percent
from services.platform.clock import LOCAL_TZ
from services.platform.pdf_fonts import PT_SANS, add_pt_sans

if TYPE_CHECKING:
    from fpdf import FPDF

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
ZONE_NAMES = {
    TariffZone.SINGLE: "Сутки",
    TariffZone.DAY: "День",
    TariffZone.NIGHT: "Ночь",
    TariffZone.PEAK: "Пик",
    TariffZone.SEMI_PEAK: "Полупик",
}


def postal_address(*, address: str, locality: str) -> str:
    """The address as a receipt prints it: the account's address names its town or village already («…, д.
    Лисестрово, ул. Лесная, д. 7»), so the locality is added, in front as Russian addresses go, only when it is not."""
    if not locality or re.search(rf"(?<!\w){re.escape(locality)}(?!\w)", address):
        return address
    return f"{locality}, {address}"


@dataclass(frozen=True, slots=True)
class DocumentPayer:
    """Who the document bills: a household's personal account, or an organisation's contract and delivery point."""

    number: str  # printed in the heading and sent in the QR code (PersAcc): the account or the contract number
    label: str  # «Лицевой счёт» or «Договор»
    address: str
    holder: str | None = None  # an organisation: its name and INN

    @classmethod
    def of_account(cls, account: PersonalAccount) -> DocumentPayer:
        return cls(account.number, "Лицевой счёт", postal_address(address=account.address, locality=account.locality))


def rubles(kopecks: int) -> str:
    """1234567 → "12 345,67" (minus for a credit)."""
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), 100)
    return f"{sign}{whole:,}".replace(",", " ") + f",{cents:02d}"


def month_name(period: date) -> str:
    return f"{MONTHS[period.month - 1]} {period.year} г."


def file_name(*, account_number: str, period: date) -> str:
    return f"kvitanciya_{account_number}_{period:%Y-%m}.pdf"


def contract_file_name(*, contract_number: str, point_id: int, period: date) -> str:
    safe = re.sub(r"[^0-9A-Za-z-]+", "-", contract_number).strip("-") or "dogovor"
    return f"schet_{safe}_{point_id}_{period:%Y-%m}.pdf"


def payment_purpose(*, contract: Contract, period: date, vat: int) -> str:
    """The purpose the organisation writes in its payment order, so the supplier credits the right contract."""
    return f"Оплата по договору № {contract.number} за электроэнергию за {period:%m.%Y}, в т.ч. НДС {rubles(vat)} руб."


def _qr_png(payload: str) -> io.BytesIO:
    # Error correction M: the code stays readable from a crumpled or badly printed paper copy.
    import segno  # loaded on the first document, not at start: the server starts faster

    image = io.BytesIO()
    segno.make(payload, error="m", encoding="utf-8", micro=False).save(image, kind="png", scale=4, border=2)
    image.seek(0)
    return image


class _Document:
    def __init__(self) -> None:
        from fpdf import FPDF  # loaded on the first document, not at start (fpdf and fontTools take seconds)

        self.pdf: FPDF = FPDF(format="A4")
        self.pdf.set_margins(15, 12, 15)
        self.pdf.set_auto_page_break(auto=True, margin=12)
        add_pt_sans(self.pdf)
        self.pdf.add_page()

    def line(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5, align: str = "L") -> None:
        self.pdf.set_font(PT_SANS, "B" if bold else "", size)
        self.pdf.multi_cell(self.pdf.epw, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.line(text, size=11, bold=True, height=6)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        pdf = self.pdf
        pdf.set_font(PT_SANS, "B", 9)
        for title, width in zip(header, widths, strict=True):
            pdf.cell(pdf.epw * width, 6, title, border=1, align="C")
        pdf.ln(6)
        pdf.set_font(PT_SANS, "", 9)
        for row in rows:
            for index, (value, width) in enumerate(zip(row, widths, strict=True)):
                pdf.cell(pdf.epw * width, 6, value, border=1, align="L" if index == 0 else "R")
            pdf.ln(6)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(PT_SANS, "B" if bold else "", 10)
        pdf.cell(pdf.epw * 0.7, 6, label)
        pdf.cell(pdf.epw * 0.3, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _headed(*, title: str, heading: str, period: date, payee: Payee) -> _Document:
    """A new document with the supplier's letterhead, the payee's bank details and the heading for `period`."""
    doc = _Document()
    doc.pdf.set_title(title)
    doc.pdf.set_author(SUPPLIER_NAME)
    doc.line(f"{SUPPLIER_NAME}, {SUPPLIER_ADDRESS}, тел. {SUPPLIER_PHONE}", size=9)
    doc.line(
        f"Получатель: {payee.name}, ИНН {payee.inn}, КПП {payee.kpp}, р/с {payee.account}, "
        f"{payee.bank_name}, БИК {payee.bic}, к/с {payee.correspondent_account}",
        size=9,
    )
    doc.pdf.ln(3)
    doc.line(heading, size=14, bold=True, height=8, align="C")
    doc.line(f"Расчётный период: {period:%m.%Y}", align="C")
    doc.pdf.ln(2)
    return doc


def render_statement_pdf(
    *,
    statement: Statement,
    charges: Sequence[Charge],
    payee: Payee,
    account: PersonalAccount | None = None,
    payer: DocumentPayer | None = None,
    payments: Sequence[Payment] = (),
) -> bytes:
    """The payment document of `statement` (its `charges` and the `payments` it counted) as PDF bytes, for the
    `account` billed or, for a contract's delivery point, its `payer`."""
    if payer is None:
        assert account is not None, "a document bills an account or a payer"
        payer = DocumentPayer.of_account(account)
    period = statement.period
    due = max(statement.closing_balance, 0)
    doc = _headed(
        title=f"Платёжный документ за {month_name(period)}, {payer.label.lower()} {payer.number}",
        heading=f"Платёжный документ (квитанция) за {month_name(period)}",
        period=period,
        payee=payee,
    )
    pdf = doc.pdf
    doc.line(f"{payer.label}: {payer.number}", size=12, bold=True, height=6)
    if payer.holder is not None:
        doc.line(f"Плательщик: {payer.holder}")
    doc.line(f"Адрес: {payer.address}")
    doc.line(f"Дата формирования: {statement.issued_on:%d.%m.%Y}")

    consumption = [charge for charge in charges if charge.kind is ChargeKind.CONSUMPTION]
    recalculations = [charge for charge in charges if charge.kind is ChargeKind.RECALCULATION]
    doc.heading("Начисления за электроэнергию")
    doc.table(
        ("Зона суток", "Объём, кВт·ч", "Тариф, руб./кВт·ч", "Сумма, руб."),
        [
            (ZONE_NAMES[charge.zone], str(charge.volume_kwh), rubles(charge.rate_kopecks), rubles(charge.amount))
            for charge in consumption
        ]
        or [("Начислений нет", "", "", "0,00")],
        (0.4, 0.2, 0.2, 0.2),
    )
    if recalculations:
        doc.heading("Перерасчёты")
        doc.table(
            ("За период, зона", "Объём, кВт·ч", "Тариф, руб./кВт·ч", "Сумма, руб."),
            [
                (
                    f"{charge.recalculated_period:%m.%Y}, {ZONE_NAMES[charge.zone].lower()}"
                    if charge.recalculated_period is not None
                    else ZONE_NAMES[charge.zone],
                    str(charge.volume_kwh),
                    rubles(charge.rate_kopecks),
                    rubles(charge.amount),
                )
                for charge in recalculations
            ],
            (0.4, 0.2, 0.2, 0.2),
        )
    if payments:
        doc.heading("Оплаты в расчётном периоде")
        doc.table(
            ("Дата", "Сумма, руб."),
            [
                (f"{(payment.paid_at or payment.created_at).astimezone(LOCAL_TZ):%d.%m.%Y}", rubles(payment.amount))
                for payment in payments
            ],
            (0.6, 0.4),
        )

    doc.heading("Расчёт")
    doc.pair("Задолженность (+) / переплата (−) на начало периода", rubles(statement.opening_balance))
    doc.pair("Начислено", rubles(statement.charged))
    doc.pair("Перерасчёт", rubles(statement.recalculated))
    if statement.vat:
        doc.pair("НДС", rubles(statement.vat))
    doc.pair("Пени", rubles(statement.penalty))
    doc.pair("Оплачено", rubles(statement.paid))
    doc.pair("Задолженность (+) / переплата (−) на конец периода", rubles(statement.closing_balance))
    pdf.ln(2)
    doc.pair(f"Итого к оплате, руб. (до {statement.due_on:%d.%m.%Y})", rubles(due), bold=True)

    pdf.ln(4)
    payload = gost_qr_payload(
        payee=payee, account_number=payer.number, period=period, closing_balance=statement.closing_balance
    )
    top = pdf.get_y()
    pdf.image(_qr_png(payload), x=pdf.l_margin, y=top, w=40, h=40)
    pdf.set_xy(pdf.l_margin + 45, top)
    pdf.set_font(PT_SANS, "", 9)
    pdf.multi_cell(
        pdf.epw - 45,
        5,
        "Оплатите по QR-коду в приложении своего банка: реквизиты, лицевой счёт и сумма заполнятся сами. "
        "Оплатить можно также в Личном кабинете клиента по СБП или банковской картой.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def render_contract_statement_pdf(
    *, statement: Statement, contract: Contract, point: DeliveryPoint, charges: Sequence[Charge], payee: Payee
) -> bytes:
    """An organisation's statement for one delivery point as a PDF: the charges net of VAT, the VAT (НК РФ ст. 168
    п. 1, 4), the balance and the bank details with the payment purpose; organisations pay by payment order."""
    period = statement.period
    due = max(statement.closing_balance, 0)
    doc = _headed(
        title=f"Счёт за {month_name(period)}, договор № {contract.number}",
        heading=f"Счёт на оплату электроэнергии за {month_name(period)}",
        period=period,
        payee=payee,
    )
    pdf = doc.pdf
    doc.line(f"Договор энергоснабжения № {contract.number}", size=12, bold=True, height=6)
    doc.line(f"Потребитель: {contract.holder_name}, ИНН {contract.inn}")
    doc.line(f"Точка поставки: {point.name}, {point.address}")
    doc.line(f"Дата формирования: {statement.issued_on:%d.%m.%Y}")

    doc.heading("Начисления за электроэнергию (без НДС)")
    doc.table(
        ("Зона суток, основание", "Объём, кВт·ч", "Цена, руб./кВт·ч", "Сумма, руб."),
        [
            (
                ZONE_NAMES[charge.zone]
                if charge.kind is ChargeKind.CONSUMPTION or charge.recalculated_period is None
                else f"Перерасчёт за {charge.recalculated_period:%m.%Y}, {ZONE_NAMES[charge.zone].lower()}",
                str(charge.volume_kwh),
                rubles(charge.rate_kopecks),
                rubles(charge.amount),
            )
            for charge in charges
        ]
        or [("Начислений нет", "", "", "0,00")],
        (0.4, 0.2, 0.2, 0.2),
    )

    doc.heading("Расчёт")
    doc.pair("Задолженность (+) / переплата (−) на начало периода", rubles(statement.opening_balance))
    doc.pair("Начислено без НДС", rubles(statement.charged))
    doc.pair("Перерасчёт без НДС", rubles(statement.recalculated))
    doc.pair(f"НДС {vat_percent(period=period)} %", rubles(statement.vat))
    doc.pair("Пени", rubles(statement.penalty))
    doc.pair("Оплачено", rubles(statement.paid))
    doc.pair("Задолженность (+) / переплата (−) на конец периода", rubles(statement.closing_balance))
    pdf.ln(2)
    doc.pair(f"Итого к оплате, руб. (до {statement.due_on:%d.%m.%Y})", rubles(due), bold=True)
    pdf.ln(3)
    doc.line(f"Назначение платежа: {payment_purpose(contract=contract, period=period, vat=statement.vat)}", size=9)
    return bytes(pdf.output())
