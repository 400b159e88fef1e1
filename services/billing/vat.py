"""VAT on organisations' electricity (households' regulated tariffs already include it).

НК РФ ст. 164 п. 3: 20 % until 2025-12-31; 22 % from 2026-01-01 (ст. 164 п. 3 as amended by ФЗ от 28.11.2025
№ 425-ФЗ). НК РФ ст. 167 п. 1: the tax falls due at shipment, and a month of supply ships on its last day, so a
period's VAT is at the rate in force on the period's last day (December 2025: 20 %, January 2026: 22 %); a
recalculation of an earlier period billed now keeps that period's rate (НК РФ ст. 154 п. 10 corrects the original).
НК РФ ст. 168 п. 4: the VAT is shown as a separate line of the settlement documents.
"""

from __future__ import annotations

from datetime import date

from services.billing.calendar import month_end

VAT_RATES: tuple[tuple[date, int], ...] = ((date(2019, 1, 1), 20), (date(2026, 1, 1), 22))  # (from, percent)


def vat_percent(*, period: date) -> int:
    shipped = month_end(period)
    percent = 0
    for valid_from, rate in VAT_RATES:
        if valid_from <= shipped:
            percent = rate
    return percent


def vat_on(*, net: int, period: date) -> int:
    """VAT in kopecks on `net` kopecks of the period, rounded half away from zero (a negative net gives back VAT)."""
    numerator = abs(net) * vat_percent(period=period)
    rounded = (2 * numerator + 100) // 200
    return rounded if net >= 0 else -rounded
