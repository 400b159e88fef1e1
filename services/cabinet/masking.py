"""Personal data as analysts see it: enough to analyse by place, not enough to find a household."""

from __future__ import annotations

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
