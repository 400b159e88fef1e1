"""Appeals (обращения) as chats: a customer's question, operators' answers, follow-ups.

The status always agrees with who wrote last: OPEN and AWAITING_OPERATOR end with the customer (and wait since that
message), ANSWERED and CLOSED end with an operator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import AppealStatus, AppealTargetKind, AppealTopic, Role
from services.demo.bulk import IdCounters, Rows


@dataclass(frozen=True, slots=True)
class Script:
    topic: AppealTopic
    messages: tuple[str, ...]  # customer, operator, customer, operator, ...


SCRIPTS: tuple[Script, ...] = (
    Script(
        AppealTopic.LK_QUESTION,
        (
            "Прошу проверить начисление за март: насчитали почти в два раза больше обычного.",
            "Здравствуйте! Начисление за март выполнено по показаниям, переданным исполнителем коммунальных услуг. "
            "Проверим их при контрольном обходе и при расхождении сделаем перерасчёт.",
            "Спасибо. Перерасчёт будет в следующей квитанции?",
            "Да, перерасчёт отразится в следующем платёжном документе отдельной строкой.",
        ),
    ),
    Script(
        AppealTopic.METER_REPLACEMENT_SEALING,
        (
            "Когда заменят счётчик? Срок поверки истёк, а на табло ошибка Е-04.",
            "Здравствуйте! Замена прибора учёта запланирована сетевой организацией на следующий месяц. Мастер "
            "позвонит за день до визита; пожалуйста, обеспечьте доступ к щитку.",
            "Можно ли согласовать время после 18:00? Днём дома никого нет.",
            "Передали вашу просьбу мастеру, время визита он согласует с вами по телефону.",
        ),
    ),
    Script(
        AppealTopic.ISU_QUESTION,
        (
            "В разделе ИСУ нет почасовых данных за последние три дня. Прибор работает.",
            "Здравствуйте! Данные с прибора учёта поступали с задержкой из-за работ на устройстве сбора данных. "
            "Связь восстановлена, профиль будет заполнен в течение суток.",
        ),
    ),
    Script(
        AppealTopic.ISU_QUESTION,
        (
            "В журнале событий счётчика запись «Воздействие магнитного поля». Что это значит? Я ничего не делал.",
            "Здравствуйте! Запись означает срабатывание датчика магнитного поля. Однократное событие не ведёт к "
            "доначислению; если оно повторится, сетевая организация проверит прибор учёта.",
            "Понятно, спасибо. А можно узнать, в какое время это было?",
            "Время события указано в журнале, в колонке «Дата и время». Других записей о воздействии нет.",
        ),
    ),
    Script(
        AppealTopic.INSTALLMENT_PLAN,
        (
            "Прошу предоставить рассрочку по задолженности за электроэнергию: сразу оплатить всю сумму не могу.",
            "Здравствуйте! Для рассрочки приложите, пожалуйста, заявление и копию документа, удостоверяющего "
            "личность. Рассрочка предоставляется на срок до шести месяцев.",
            "Заявление и копию паспорта приложила.",
            "Рассрочка оформлена на шесть месяцев; график платежей направлен на вашу электронную почту.",
        ),
    ),
    Script(
        AppealTopic.PAPER_RECEIPT,
        (
            "Прошу прекратить доставку бумажной квитанции: подключил получение по электронной почте.",
            "Здравствуйте! Доставка бумажного платёжного документа прекращена со следующего расчётного периода.",
        ),
    ),
    Script(
        AppealTopic.OTHER,
        (
            "Оплатил по СБП, деньги списались, а в личном кабинете по-прежнему задолженность.",
            "Здравствуйте! Платёж поступил; на его отражение в лицевом счёте требуется до трёх рабочих дней. "
            "Пени за эти дни начислены не будут.",
        ),
    ),
    Script(
        AppealTopic.LK_QUESTION,
        (
            "Не могу добавить лицевой счёт: пишет, что код активации недействителен.",
            "Здравствуйте! Код активации действует три месяца с даты формирования квитанции. Возьмите код из "
            "последней квитанции, он напечатан над QR-кодом.",
            "Ввела код из октябрьской квитанции, всё получилось. Спасибо!",
            "Рады, что всё получилось. Обращайтесь!",
        ),
    ),
    Script(
        AppealTopic.METER_REPLACEMENT_SEALING,
        (
            "Прошу опломбировать новый прибор учёта после замены. Акт замены прилагаю.",
            "Здравствуйте! Заявка на опломбировку передана в сетевую организацию, мастер свяжется с вами в течение "
            "пяти рабочих дней.",
        ),
    ),
    Script(
        AppealTopic.OTHER,
        (
            "Дом подключили к сетям в прошлом месяце. Когда пришлют договор энергоснабжения?",
            "Здравствуйте! Проект договора направлен на адрес электронной почты, указанный в заявке на "
            "техприсоединение. Подписать его можно в офисе обслуживания.",
            "Письма нет, проверила и папку «Спам».",
            "Направили договор повторно. Если письмо не придёт, договор можно получить в офисе обслуживания.",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class AppealTarget:
    kind: AppealTargetKind
    number: str
    account_id: int | None = None
    contract_id: int | None = None
    tech_connection_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppealPlan:
    customer_id: int
    target: AppealTarget
    script: Script
    status: AppealStatus
    unread_answer: bool = False  # ANSWERED: the customer has not opened the operator's reply yet


def _message_count(plan: AppealPlan) -> int:
    """Messages up to the one that sets the status: the customer's first, the answer, the follow-up, its answer."""
    available = len(plan.script.messages)
    if plan.status is AppealStatus.OPEN:
        return 1
    if plan.status is AppealStatus.AWAITING_OPERATOR:
        if available < 3:
            raise ValueError(f"an appeal awaiting the operator needs a follow-up: {plan.script.messages[0]!r}")
        return 3
    return 4 if available >= 4 and plan.status is AppealStatus.CLOSED else 2


def add_appeals(
    rows: Rows, ids: IdCounters, rng: random.Random, *, now: datetime, operator_id: int, plans: list[AppealPlan]
) -> None:
    for plan in plans:
        count = _message_count(plan)
        times = [now - timedelta(days=rng.randint(3, 150), hours=rng.randint(0, 10))]
        for _ in range(count - 1):
            times.append(times[-1] + timedelta(hours=rng.randint(2, 40), minutes=rng.randint(0, 59)))
        closed_at = times[-1] + timedelta(hours=rng.randint(20, 30)) if plan.status is AppealStatus.CLOSED else None
        latest = closed_at or times[-1]
        if latest > now - timedelta(minutes=30):  # keep the whole conversation in the past
            shift = latest - now + timedelta(hours=rng.randint(1, 20))
            times = [moment - shift for moment in times]
            closed_at = closed_at - shift if closed_at else None
        appeal_id = ids.take("appeal")
        message_ids = [ids.take("appeal_message") for _ in range(count)]
        for index, (message_id, moment) in enumerate(zip(message_ids, times, strict=True)):
            from_customer = index % 2 == 0
            rows["appeal_message"].append(
                (
                    message_id,
                    appeal_id,
                    plan.customer_id if from_customer else operator_id,
                    (Role.CUSTOMER if from_customer else Role.OPERATOR).value,
                    plan.script.messages[index],
                    moment,
                )
            )
        waits = plan.status in (AppealStatus.OPEN, AppealStatus.AWAITING_OPERATOR)
        unread = plan.unread_answer and plan.status is AppealStatus.ANSWERED
        customer_read = message_ids[-2] if unread else message_ids[-1]
        operator_read = message_ids[-2] if waits and count > 1 else (0 if waits else message_ids[-1])
        target = plan.target
        rows["appeal"].append(
            (
                appeal_id,
                plan.customer_id,
                target.kind.value,
                target.account_id,
                target.contract_id,
                target.tech_connection_id,
                target.number,
                plan.script.topic.value,
                plan.status.value,
                None if plan.status is AppealStatus.OPEN else operator_id,
                times[0],
                times[-1],
                times[-1] if waits else None,
                closed_at,
                customer_read,
                operator_read,
            )
        )
