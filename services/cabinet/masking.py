"""Personal data as analysts see it: enough to analyse by place, not enough to find a household."""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.appeals.masking import mask_personal_data

MASK = "***"


def mask_address(address: str) -> str:
    """Keep the leading parts up to the street (region, district, locality, street); hide house, flat, plot, box.

    The first comma-separated part that holds a digit starts the hidden tail, so a street with a number in its name
    is hidden too: masking too much is the safe side.
    """
    parts = [part.strip() for part in address.split(",")]
    kept: list[str] = []
    for part in parts:
        if any(char.isdigit() for char in part):
            break
        kept.append(part)
    if len(kept) == len(parts):
        return address
    return ", ".join([*kept, MASK])


_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
INDIVIDUAL_INN_LENGTH = 12  # ИНН физического лица (и ИП): 12 digits; an organisation's has 10

_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"  # a capitalised Russian word (a double surname too)
# A patronymic in any case: Иванович, Ивановича, Ивановичем …; Ивановна, Ивановной …; Ильич, Кузьминична.
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:(?:ович|евич|ич)(?:а|у|ем|е)?|(?:овн|евн|ичн|иничн)(?:а|ы|е|у|ой|ою))"
# A full name around its patronymic («Коновалова Светлана Александровна», «Ивану Петровичу Сидорову»): one or two
# capitalised words before it and maybe one after, or one after. A lone -ич word is left (ул. Уборевича, Ильич).
_FULL_NAME = re.compile(
    rf"(?<![\w-])(?:(?:{_WORD}\s+){{1,2}}{_PATRONYMIC}(?:\s+{_WORD})?|{_PATRONYMIC}\s+{_WORD})(?![\w-])"
)
# «Иванов И. И.», «Иванов И.И.», «Иванову И.», «И. И. Иванов», «И.И. Иванова».
_INITIALS_NAME = re.compile(
    rf"(?<![\w-])(?:{_WORD}\s+[А-ЯЁ]\.(?:\s?[А-ЯЁ]\.)?|[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.\s?)?{_WORD}(?![\w-]))"
)
# A house, building or flat and its number: «д. 5», «дом 5а», «в доме 7», «кв. 12», «квартира 12», «корп. 2»,
# «стр. 1», «уч. 14», «д.5/2».
_HOUSE = re.compile(
    r"(?<![\w-])(?:д|дом[а-я]{0,2}|кв|квартир[а-я]{0,2}|корп|корпус[а-я]{0,2}|стр|строени[а-я]{0,2}|уч|участ[а-я]{0,3})"
    r"\.?\s*(?:№\s*)?\d+(?:\s?[а-яА-Я](?![а-яё]))?(?:/\d+)?",
    re.IGNORECASE,
)
_VOWEL_ENDING = "аяоеиыуюйь"
_SHORTEST_STEM = 3


def name_stems(names: Iterable[str]) -> set[str]:
    """The stems of stored names' parts, lower-cased: «Коновалова Светлана Александровна» → коновалов, светлан,
    александровн. A part loses its final vowel (or й, ь), so the stem matches the part in any case (Светланой,
    Коноваловой); a part too short to stem is matched as a whole word."""
    stems = set()
    for name in names:
        for part in re.split(r"[\s.,-]+", name.lower()):
            stem = part[:-1] if part.endswith(tuple(_VOWEL_ENDING)) else part
            if len(stem) >= _SHORTEST_STEM:
                stems.add(stem)
            elif len(part) >= 2:
                stems.add(part)
            stems.update(_fleeting_vowel_stems(part))
    return stems


def _fleeting_vowel_stems(part: str) -> list[str]:
    """A name whose last vowel drops in the other cases: Павел → Павла, Лев → Льва, Пётр stays (Петра is matched
    by its own stem)."""
    if len(part) < 3 or part[-1] in _VOWEL_ENDING or part[-2] not in "еёо":
        return []
    return [stem for stem in (part[:-2] + part[-1], part[:-2] + "ь" + part[-1]) if len(stem) >= _SHORTEST_STEM]


def _stems_pattern(stems: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(stems, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(stem) for stem in ordered)
    return re.compile(rf"(?<![\w-])(?:{alternatives})[а-яё]{{0,4}}(?![\w-])", re.IGNORECASE)


def mask_free_text(text: str, *, names: Iterable[str] = ()) -> str:
    """Any text an analyst reads, with what identifies a person hidden: phone numbers and emails (see
    services.appeals.masking), links, full names with a patronymic, surnames with initials, house and flat numbers,
    and every form of the given `names` (the stored names of the people the text is about)."""
    text = _URL.sub(MASK, mask_personal_data(text))
    # Whole names first, so that a known surname's initials go with it.
    text = _INITIALS_NAME.sub(MASK, _FULL_NAME.sub(MASK, text))
    pattern = _stems_pattern(name_stems(names))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _HOUSE.sub(MASK, text)


def mask_inn(inn: str) -> str:
    """A person's INN (12 digits: individuals and individual entrepreneurs) identifies them; an organisation's not."""
    return MASK if len(inn) == INDIVIDUAL_INN_LENGTH else inn


def mask_person_name(name: str) -> str:
    """An individual entrepreneur's name keeps its «ИП» and loses the person's name."""
    return f"ИП {MASK}" if name.upper().startswith("ИП") else MASK


def mask_filename(filename: str) -> str:
    """A file's name may carry a person's name: only its extension is left."""
    _, dot, extension = filename.rpartition(".")
    return f"{MASK}.{extension}" if dot and extension.isalnum() and len(extension) <= 5 else MASK
