"""Personal data as analysts see it: enough to analyse by place, not enough to find a household."""

from __future__ import annotations

import re

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


def mask_free_text(text: str) -> str:
    """Any text an analyst reads: phone numbers, emails and links hidden (see services.appeals.masking)."""
    return _URL.sub(MASK, mask_personal_data(text))


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
