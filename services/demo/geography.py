"""Places and people of the Arkhangelsk region that the demo data is made of.

Street names are real ones of each town, so that an address in the demo looks like one on a real receipt; house and flat
numbers are random and point at nobody in particular.
"""

from __future__ import annotations

import random

# Town → its streets; the weight is roughly how many of the supplier's households live there.
TOWN_STREETS: dict[str, tuple[str, ...]] = {
    "Архангельск": (
        "пр-кт Троицкий",
        "ул. Воскресенская",
        "пр-кт Обводного Канала",
        "пр-кт Ломоносова",
        "ул. Гагарина",
        "пр-кт Советских Космонавтов",
        "ул. Урицкого",
        "пр-кт Чумбарова-Лучинского",
        "ул. Тимме",
        "наб. Северной Двины",
        "ул. Логинова",
        "пр-кт Московский",
        "ул. Садовая",
        "ул. Выучейского",
        "ул. Поморская",
    ),
    "Северодвинск": (
        "пр-кт Морской",
        "ул. Ломоносова",
        "ул. Ленина",
        "пр-кт Победы",
        "ул. Советская",
        "ул. Торцева",
        "пр-кт Труда",
        "ул. Лебедева",
        "ул. Индустриальная",
    ),
    "Новодвинск": ("ул. 50-летия Октября", "ул. Советов", "ул. Мира", "ул. Уборевича", "ул. Димитрова"),
    "Котлас": ("ул. Мелентьева", "ул. Кедрова", "пр-кт Мира", "ул. Ленина", "ул. Орджоникидзе"),
    "Коряжма": ("пр-кт Ленина", "ул. Космонавтов", "ул. Пушкина", "ул. Дыбцына"),
    "Вельск": ("ул. Дзержинского", "ул. Гагарина", "ул. Советская", "ул. Революционная"),
    "Няндома": ("ул. 60 лет Октября", "ул. Володарского", "ул. Фадеева"),
    "Онега": ("пр-кт Кирова", "ул. Гоголя", "ул. Шаревского"),
    "Мирный": ("ул. Ленина", "ул. Гагарина", "ул. Неделина", "ул. Циргвава"),
}
TOWN_WEIGHTS: dict[str, int] = {
    "Архангельск": 40,
    "Северодвинск": 20,
    "Новодвинск": 8,
    "Котлас": 8,
    "Коряжма": 5,
    "Вельск": 5,
    "Няндома": 4,
    "Онега": 4,
    "Мирный": 6,
}
TOWNS: tuple[str, ...] = tuple(TOWN_WEIGHTS)
TOWN_CUMULATIVE_WEIGHTS: tuple[int, ...] = tuple(
    sum(list(TOWN_WEIGHTS.values())[: index + 1]) for index in range(len(TOWN_WEIGHTS))
)

# Private and country houses outside the towns, with the district that a rural address names first.
VILLAGES: tuple[tuple[str, str], ...] = (
    ("Приморский р-н", "д. Лисестрово"),
    ("Приморский р-н", "пос. Катунино"),
    ("Приморский р-н", "д. Малые Карелы"),
    ("Холмогорский р-н", "с. Холмогоры"),
    ("Холмогорский р-н", "с. Ломоносово"),
    ("Вельский р-н", "пос. Кулой"),
    ("Котласский р-н", "пос. Вычегодский"),
    ("Онежский р-н", "д. Порог"),
)
VILLAGE_STREETS: tuple[str, ...] = ("ул. Лесная", "ул. Центральная", "ул. Набережная", "ул. Полевая", "ул. Школьная")
GARDEN_SOCIETIES: tuple[tuple[str, str], ...] = (
    ("Архангельск", "СНТ «Уйма»"),
    ("Архангельск", "СНТ «Север»"),
    ("Северодвинск", "СНТ «Беломорье»"),
    ("Северодвинск", "СНТ «Строитель»"),
    ("Новодвинск", "СНТ «Двина»"),
)
GARAGE_SOCIETIES: tuple[tuple[str, str], ...] = (
    ("Архангельск", "ГСК «Автомобилист»"),
    ("Северодвинск", "ГСК «Звёздочка»"),
    ("Котлас", "ГСК «Мотор»"),
)

UTILITY_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("ООО «УК «Мегаполис»", "+7 (8182) 40-12-31"),
    ("ООО «Управляющая компания «Соломбала»", "+7 (8182) 22-45-17"),
    ("ТСЖ «Троицкий-52»", "+7 (8182) 65-03-88"),
    ("ООО «Жилкомсервис»", "+7 (8184) 58-21-09"),
    ("МУП «Жилищный трест»", "+7 (8184) 52-77-40"),
    ("ООО «УК «Котласская»", "+7 (81837) 2-18-55"),
)

MALE_FIRST = ("Александр", "Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Николай", "Владимир", "Евгений", "Иван")
FEMALE_FIRST = ("Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Мария", "Анна", "Людмила", "Галина")
MALE_PATRONYMIC = ("Александрович", "Сергеевич", "Николаевич", "Владимирович", "Петрович", "Иванович", "Юрьевич")
FEMALE_PATRONYMIC = ("Александровна", "Сергеевна", "Николаевна", "Владимировна", "Петровна", "Ивановна", "Юрьевна")
# Surnames in the masculine form; the feminine one adds "а" (Поморцев → Поморцева), which holds for all of these.
SURNAMES = (
    "Поморцев",
    "Шаньгин",
    "Кузнецов",
    "Попов",
    "Коновалов",
    "Ершов",
    "Лодыгин",
    "Вологжанин",
    "Пинежанинов",
    "Мезенцев",
    "Корельский",
    "Шестаков",
    "Антуфьев",
    "Федотов",
    "Сумароков",
    "Ружников",
)
_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
        "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "",
        "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


def pick_town(rng: random.Random) -> str:
    return rng.choices(TOWNS, cum_weights=TOWN_CUMULATIVE_WEIGHTS)[0]


def flat_address(rng: random.Random, town: str) -> str:
    street = rng.choice(TOWN_STREETS[town])
    return f"г. {town}, {street}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 180)}"


def house_address(rng: random.Random) -> tuple[str, str]:
    """A private house in a village: (address, locality)."""
    district, village = rng.choice(VILLAGES)
    street = rng.choice(VILLAGE_STREETS)
    address = f"Архангельская обл., {district}, {village}, {street}, д. {rng.randint(1, 60)}"
    return address, village.split(" ", 1)[1]


def country_house_address(rng: random.Random) -> tuple[str, str]:
    town, society = rng.choice(GARDEN_SOCIETIES)
    return f"г. {town}, {society}, линия {rng.randint(1, 14)}, уч. {rng.randint(1, 240)}", town


def garage_address(rng: random.Random) -> tuple[str, str]:
    town, society = rng.choice(GARAGE_SOCIETIES)
    return f"г. {town}, {society}, бокс {rng.randint(1, 400)}", town


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        return f"{surname} {rng.choice(MALE_FIRST)} {rng.choice(MALE_PATRONYMIC)}"
    return f"{surname}а {rng.choice(FEMALE_FIRST)} {rng.choice(FEMALE_PATRONYMIC)}"


def email_for(full_name: str, serial: int) -> str:
    """An address in the reserved example.org domain: the development mailer really sends over SMTP."""
    surname, first = full_name.lower().split(" ")[:2]
    return f"{first.translate(_LATIN)}.{surname.translate(_LATIN)}{serial}@example.org"
