"""The application form an organisation signs to get contract access («Заявление на предоставление доступа»).

A real PDF made with fpdf2 in PT Sans (a free font with Cyrillic, from the `fontpkg-pt-sans` package), generated once
per process: it has no variable parts.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from services.platform.pdf_fonts import add_pt_sans

if TYPE_CHECKING:
    from fpdf import FPDF

TEMPLATE_PATH = "/templates/contract-access-application.pdf"
TEMPLATE_FILENAME = "zayavlenie-dostup-lk.pdf"
TITLE = "Заявление на предоставление доступа в Личный кабинет"

_FIELDS = (
    "Полное наименование организации / ФИО индивидуального предпринимателя",
    "ИНН",
    "КПП (для организаций)",
    "ОГРН / ОГРНИП",
    "Номер договора энергоснабжения",
    "Юридический адрес",
    "Номер мобильного телефона, на который зарегистрирован Личный кабинет",
    "Адрес электронной почты",
)


def _paragraph(pdf: FPDF, height: float, text: str, *, align: str = "L") -> None:
    pdf.multi_cell(pdf.epw, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


@cache
def application_template_pdf() -> bytes:
    from fpdf import FPDF  # loaded on the first download, not at start (fpdf and fontTools take seconds)

    pdf = FPDF(format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("ООО «ТГК-2 Энергосбыт»")
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(auto=True, margin=12)
    add_pt_sans(pdf)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("PTSans", size=11)
    pdf.set_x(pdf.l_margin + width / 2)
    pdf.multi_cell(width / 2, 6, "Генеральному директору\nООО «ТГК-2 Энергосбыт»\nот ______________________________")
    pdf.ln(10)

    pdf.set_font("PTSans", "B", 14)
    _paragraph(pdf, 8, TITLE, align="C")
    pdf.ln(6)

    pdf.set_font("PTSans", size=11)
    _paragraph(
        pdf,
        6,
        "Прошу предоставить доступ к сведениям по договору энергоснабжения в Личном кабинете клиента "
        "ООО «ТГК-2 Энергосбыт» пользователю, зарегистрированному по указанному ниже номеру телефона.",
    )
    pdf.ln(4)
    for label in _FIELDS:
        pdf.set_font("PTSans", size=9)
        _paragraph(pdf, 5, label)
        pdf.set_font("PTSans", size=11)
        pdf.cell(width, 7, "", border="B")
        pdf.ln(9)

    pdf.ln(4)
    _paragraph(
        pdf,
        6,
        "Подтверждаю, что пользователь Личного кабинета уполномочен получать сведения по договору, "
        "передавать показания и направлять обращения от имени заявителя. Согласен на обработку персональных "
        "данных в целях исполнения договора.",
    )
    pdf.ln(8)
    pdf.cell(width * 0.45, 6, "Руководитель (уполномоченный представитель)")
    pdf.cell(width * 0.25, 6, "_______________", align="C")
    pdf.cell(width * 0.30, 6, "/ ______________ /", align="R")
    pdf.ln(6)
    pdf.set_font("PTSans", size=8)
    pdf.cell(width * 0.45, 4, "")
    pdf.cell(width * 0.25, 4, "подпись", align="C")
    pdf.cell(width * 0.30, 4, "расшифровка", align="R")
    pdf.ln(10)
    pdf.set_font("PTSans", size=11)
    pdf.cell(width / 2, 6, "М. П. (при наличии)")
    pdf.cell(width / 2, 6, "Дата «____» ____________ 20____ г.", align="R")
    pdf.ln(10)
    pdf.set_font("PTSans", size=9)
    _paragraph(
        pdf,
        5,
        "Подписанное заявление (скан в PDF, JPEG или PNG до 10 МБ, либо документ с электронной подписью .sig/.p7s) "
        "приложите к заявке «Добавить договор» в Личном кабинете или передайте в отделение ООО «ТГК-2 Энергосбыт».",
    )
    return bytes(pdf.output())
