"""Message texts as analysts read them: phone numbers and email addresses people typed into a chat are hidden.

Names in free text cannot be found reliably by a pattern, so analysts see no author contacts either (the `Customer`
type masks those); what is left is what analysis needs: topics, statuses, timings and the substance of a question.
"""

from __future__ import annotations

import re

MASK = "***"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A Russian phone in any usual spelling: +7 / 7 / 8 then 10 digits, or a mobile's 10 digits (9XX…) alone, with
# spaces, hyphens, dots or brackets between. Ten digits without a prefix are masked only from a 9, so that other
# numbers (contract, meter) stay readable; a 9-digit account number never matches.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+7|7|8)[\s\-.]*\(?\s*\d{3}|(?:\(\s*)?9\d{2})\s*\)?[\s\-.]*\d{3}[\s\-.]*\d{2}[\s\-.]*\d{2}(?!\d)"
)
# Other long digit runs that may be a phone written without a country code (a 9-digit account number stays:
# it is what analysts group by, and not personal data on its own).
_LOCAL_PHONE = re.compile(r"(?<!\d)\d{3}[\s\-]\d{2}[\s\-]\d{2}(?!\d)")


def mask_personal_data(text: str) -> str:
    text = _EMAIL.sub(MASK, text)
    text = _PHONE.sub(MASK, text)
    return _LOCAL_PHONE.sub(MASK, text)
