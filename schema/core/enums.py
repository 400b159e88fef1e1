"""Domain enums as GraphQL enums, declared once so that every domain's types share them.

`strawberry.enum` marks the model enum classes themselves, so the names exported here are the classes of
`models.enums` (usable as types by mypy) with their GraphQL definition attached.
"""

from __future__ import annotations

import strawberry

from models.enums import (
    ChargeBasis,
    ChargeKind,
    ContractHolderKind,
    ExtremeKind,
    IsuEventCategory,
    ObjectKind,
    PaymentMethod,
    PaymentStatus,
    PowerQuantity,
    ReadingSource,
    ReadingStatus,
    SubmissionStatus,
    TariffCategory,
    TariffScale,
    TariffZone,
)

__all__ = [
    "ChargeBasis",
    "ChargeKind",
    "ContractHolderKind",
    "ExtremeKind",
    "IsuEventCategory",
    "ObjectKind",
    "PaymentMethod",
    "PaymentStatus",
    "PowerQuantity",
    "ReadingSource",
    "ReadingStatus",
    "SubmissionStatus",
    "TariffCategory",
    "TariffScale",
    "TariffZone",
]

strawberry.enum(
    ObjectKind, name="ObjectKind", description="What is supplied: a flat, a private or country house, premises."
)
strawberry.enum(TariffCategory, name="TariffCategory", description="The population tariff group of an account.")
strawberry.enum(
    TariffZone,
    name="TariffZone",
    description="A zone of the day (зона суток): SINGLE 0-24; DAY 7-23, NIGHT 23-7; PEAK 7-10 and 17-21, "
    "SEMI_PEAK 10-17 and 21-23 (local time).",
)
strawberry.enum(ReadingSource, name="ReadingSource", description="Who took an accepted reading (источник показания).")
strawberry.enum(
    ReadingStatus, name="ReadingStatus", description="ANNULLED when a later correction replaced the reading."
)
strawberry.enum(
    SubmissionStatus,
    name="SubmissionStatus",
    description="Where a submitted reading stands: RECEIVED, UNDER_REVIEW, PROCESSED (accepted for billing), REJECTED.",
)
strawberry.enum(
    ChargeKind, name="ChargeKind", description="A month's consumption, or a recalculation of an earlier month."
)
strawberry.enum(
    ChargeBasis,
    name="ChargeBasis",
    description="What a volume rests on: READINGS, the monthly AVERAGE, or the NORM (норматив).",
)
strawberry.enum(
    PaymentMethod, name="PaymentMethod", description="SBP, bank card, a bank outside the portal, or a cash desk."
)
strawberry.enum(PaymentStatus, name="PaymentStatus")
strawberry.enum(
    ContractHolderKind, name="ContractHolderKind", description="An organisation or an individual entrepreneur."
)
strawberry.enum(
    TariffScale,
    name="TariffScale",
    description="A register scale of a smart (ИСУ) meter: TOTAL, or T1/T2/T3 for the meter's tariff zones.",
)
strawberry.enum(
    PowerQuantity,
    name="PowerQuantity",
    description="ACTIVE power P (W), REACTIVE Q (var) or APPARENT S (VA).",
)
strawberry.enum(ExtremeKind, name="ExtremeKind", description="The maximum or the minimum over a period.")
strawberry.enum(
    IsuEventCategory,
    name="IsuEventCategory",
    description="A category of a smart meter's event journal (журнал событий ПУ).",
)
