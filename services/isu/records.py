"""What the ИСУ head-end sends: hours, daily registers, power extremes and journal entries, as plain records.

Records are named tuples, not objects with validation of their own, because a batch holds tens of thousands of them
and a million-row file must load in seconds; `services.isu.ingest` validates them as a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

CHANNELS = ("a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh")


class RecordKind(StrEnum):
    HOUR = "HOUR"
    REGISTER = "REGISTER"
    EXTREME = "EXTREME"
    EVENT = "EVENT"


class HourRecord(NamedTuple):
    """Energy of the hour starting at `hour`, Wh / varh per channel (A+, A−, R+, R−)."""

    line: int
    point: str
    hour: datetime
    a_plus_wh: int
    a_minus_wh: int
    r_plus_varh: int
    r_minus_varh: int


class RegisterRecord(NamedTuple):
    """Cumulative registers at 00:00 local time of `day` on one tariff scale."""

    line: int
    point: str
    day: date
    scale: str
    a_plus_wh: int
    a_minus_wh: int
    r_plus_varh: int
    r_minus_varh: int


class ExtremeRecord(NamedTuple):
    """The max or min of P, Q or S within the month `period` (its first day), and when it happened."""

    line: int
    point: str
    period: date
    quantity: str
    kind: str
    value: int
    occurred_at: datetime


class EventRecord(NamedTuple):
    line: int
    point: str
    occurred_at: datetime
    category: str
    code: int
    description: str


class RefusalCode(StrEnum):
    """Why a row was refused; stable codes for the head-end, Russian messages for people reading the report."""

    UNKNOWN_RECORD = "UNKNOWN_RECORD"
    MISSING_FIELD = "MISSING_FIELD"
    BAD_NUMBER = "BAD_NUMBER"
    BAD_TIME = "BAD_TIME"
    UNKNOWN_POINT = "UNKNOWN_POINT"
    UNKNOWN_SCALE = "UNKNOWN_SCALE"
    UNKNOWN_QUANTITY = "UNKNOWN_QUANTITY"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    NOT_ON_THE_HOUR = "NOT_ON_THE_HOUR"
    NOT_A_MONTH = "NOT_A_MONTH"
    OUTSIDE_PERIOD = "OUTSIDE_PERIOD"
    FUTURE = "FUTURE"
    REGISTER_WENT_BACK = "REGISTER_WENT_BACK"
    CONFLICTS_WITH_STORED = "CONFLICTS_WITH_STORED"
    CONFLICTS_IN_BATCH = "CONFLICTS_IN_BATCH"
    BAD_DESCRIPTION = "BAD_DESCRIPTION"


MESSAGES: dict[RefusalCode, str] = {
    RefusalCode.UNKNOWN_RECORD: "Неизвестный тип записи: ожидается HOUR, REGISTER, EXTREME или EVENT",
    RefusalCode.MISSING_FIELD: "Не заполнено обязательное поле",
    RefusalCode.BAD_NUMBER: "Значение должно быть целым неотрицательным числом",
    RefusalCode.BAD_TIME: "Время или дата в неверном формате (ISO 8601, время с часовым поясом)",
    RefusalCode.UNKNOWN_POINT: "Точка учёта не найдена",
    RefusalCode.UNKNOWN_SCALE: "Неизвестная тарифная шкала: ожидается TOTAL, T1, T2 или T3",
    RefusalCode.UNKNOWN_QUANTITY: "Неизвестная величина мощности или вид экстремума",
    RefusalCode.UNKNOWN_CATEGORY: "Неизвестная категория события журнала",
    RefusalCode.NOT_ON_THE_HOUR: "Начало часа должно приходиться на целый час",
    RefusalCode.NOT_A_MONTH: "Период экстремума: первое число месяца",
    RefusalCode.OUTSIDE_PERIOD: "Момент экстремума вне его месяца",
    RefusalCode.FUTURE: "Данные за время, которое ещё не наступило (или час ещё не закончился)",
    RefusalCode.REGISTER_WENT_BACK: "Показание регистра меньше предыдущего или больше следующего",
    RefusalCode.CONFLICTS_WITH_STORED: "Уже сохранены другие значения за это время",
    RefusalCode.CONFLICTS_IN_BATCH: "В пакете уже есть другие значения за это время",
    RefusalCode.BAD_DESCRIPTION: "Описание события: от 1 до 300 символов",
}


class Refusal(NamedTuple):
    line: int
    record: RecordKind | None  # None: a line whose record type is unknown
    code: RefusalCode


@dataclass
class Batch:
    """One batch: its records, and the rows a parser already refused (a CSV line that is not a record)."""

    hours: list[HourRecord] = field(default_factory=list)
    registers: list[RegisterRecord] = field(default_factory=list)
    extremes: list[ExtremeRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.hours) + len(self.registers) + len(self.extremes) + len(self.events) + len(self.refused)
