"""The six appeal topics in the order and with the titles of the portal's «Новое обращение» form."""

from __future__ import annotations

from models.enums import AppealTopic

TOPIC_TITLES: dict[AppealTopic, str] = {
    AppealTopic.LK_QUESTION: "Вопросы по работе Личного кабинета потребителя",
    AppealTopic.ISU_QUESTION: "Вопросы по работе Личного кабинета ИСУ",
    AppealTopic.METER_REPLACEMENT_SEALING: "Замена/опломбировка ПУ",
    AppealTopic.INSTALLMENT_PLAN: "Предоставление рассрочки",
    AppealTopic.PAPER_RECEIPT: "Бумажная квитанция",
    AppealTopic.OTHER: "Прочее",
}
TOPIC_ORDER: tuple[AppealTopic, ...] = tuple(TOPIC_TITLES)
