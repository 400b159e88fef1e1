"""Domain enumerations shared by the models, the services and the GraphQL schema."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    OPERATOR = "OPERATOR"
    ANALYST = "ANALYST"
    ADMIN = "ADMIN"


class CodePurpose(StrEnum):
    REGISTRATION = "REGISTRATION"
    PASSWORD_RECOVERY = "PASSWORD_RECOVERY"
    PHONE_CHANGE = "PHONE_CHANGE"
    EMAIL_CHANGE = "EMAIL_CHANGE"


class ObjectKind(StrEnum):
    FLAT = "FLAT"
    PRIVATE_HOUSE = "PRIVATE_HOUSE"
    COUNTRY_HOUSE = "COUNTRY_HOUSE"
    NON_RESIDENTIAL = "NON_RESIDENTIAL"


class TariffCategory(StrEnum):
    """Population tariff groups of the regional tariff decision, and the organisations' price (without VAT)."""

    URBAN_GAS_STOVE = "URBAN_GAS_STOVE"
    URBAN_ELECTRIC_STOVE = "URBAN_ELECTRIC_STOVE"
    RURAL = "RURAL"
    # Прочие потребители, первая ценовая категория: the supplier's unregulated price for organisations (ПП РФ № 442
    # пп. 86, 97), per kWh without VAT.
    NON_HOUSEHOLD = "NON_HOUSEHOLD"


class ContractHolderKind(StrEnum):
    LEGAL_ENTITY = "LEGAL_ENTITY"
    INDIVIDUAL_ENTREPRENEUR = "INDIVIDUAL_ENTREPRENEUR"


class ContractAccessStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class TechConnectionStatus(StrEnum):
    CONNECTED = "CONNECTED"  # the grid company connected the object
    CONTRACT_OFFER_SENT = "CONTRACT_OFFER_SENT"
    CONTRACT_SIGNED = "CONTRACT_SIGNED"
    CANCELLED = "CANCELLED"


class TariffZone(StrEnum):
    SINGLE = "SINGLE"  # сутки, 0-24
    DAY = "DAY"  # 7-23
    NIGHT = "NIGHT"  # 23-7
    PEAK = "PEAK"  # 7-10, 17-21
    SEMI_PEAK = "SEMI_PEAK"  # 10-17, 21-23


ZONES_BY_COUNT: dict[int, tuple[TariffZone, ...]] = {
    1: (TariffZone.SINGLE,),
    2: (TariffZone.DAY, TariffZone.NIGHT),
    3: (TariffZone.PEAK, TariffZone.SEMI_PEAK, TariffZone.NIGHT),
}


class ReadingSource(StrEnum):
    CUSTOMER = "CUSTOMER"
    UTILITY_PROVIDER = "UTILITY_PROVIDER"
    GRID_COMPANY = "GRID_COMPANY"
    CONTROL_INSPECTION = "CONTROL_INSPECTION"
    ISU = "ISU"


class ReadingStatus(StrEnum):
    """Status of an accepted reading: ANNULLED when a later correction replaced it."""

    ACCEPTED = "ACCEPTED"
    ANNULLED = "ANNULLED"


class SubmissionStatus(StrEnum):
    RECEIVED = "RECEIVED"
    UNDER_REVIEW = "UNDER_REVIEW"
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"


class ChargeKind(StrEnum):
    CONSUMPTION = "CONSUMPTION"
    RECALCULATION = "RECALCULATION"


class ChargeBasis(StrEnum):
    READINGS = "READINGS"
    AVERAGE = "AVERAGE"  # no readings: monthly average of the last 12 months
    NORM = "NORM"  # no readings for more than 3 periods: norm x residents
    CAPACITY = "CAPACITY"  # organisations, no readings for more than 2 periods: max capacity x hours (ПП № 442 п. 166)


class PaymentMethod(StrEnum):
    SBP = "SBP"
    CARD = "CARD"
    BANK = "BANK"  # paid outside the portal: a bank branch or online banking
    CASH_DESK = "CASH_DESK"
    POST_OFFICE = "POST_OFFICE"  # Почта России
    AGGREGATOR = "AGGREGATOR"  # another payment aggregator or a payment agent


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class AppealTargetKind(StrEnum):
    ACCOUNT = "ACCOUNT"
    CONTRACT = "CONTRACT"
    TECH_CONNECTION = "TECH_CONNECTION"
    OTHER = "OTHER"


class AppealTopic(StrEnum):
    LK_QUESTION = "LK_QUESTION"
    ISU_QUESTION = "ISU_QUESTION"
    METER_REPLACEMENT_SEALING = "METER_REPLACEMENT_SEALING"
    INSTALLMENT_PLAN = "INSTALLMENT_PLAN"
    PAPER_RECEIPT = "PAPER_RECEIPT"
    OTHER = "OTHER"


class AppealStatus(StrEnum):
    OPEN = "OPEN"
    ANSWERED = "ANSWERED"
    AWAITING_OPERATOR = "AWAITING_OPERATOR"
    CLOSED = "CLOSED"


class FilePurpose(StrEnum):
    CONTRACT_APPLICATION = "CONTRACT_APPLICATION"
    APPEAL_ATTACHMENT = "APPEAL_ATTACHMENT"
    STATEMENT_PDF = "STATEMENT_PDF"


class TariffScale(StrEnum):
    """Register scales of a smart meter: the total and one per tariff zone."""

    TOTAL = "TOTAL"
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"


class PowerQuantity(StrEnum):
    ACTIVE = "ACTIVE"  # P, W
    REACTIVE = "REACTIVE"  # Q, var
    APPARENT = "APPARENT"  # S, VA


class ExtremeKind(StrEnum):
    MAX = "MAX"
    MIN = "MIN"


class IsuEventCategory(StrEnum):
    VOLTAGE = "VOLTAGE"
    CURRENT = "CURRENT"
    ON_OFF = "ON_OFF"
    CORRECTION = "CORRECTION"
    EXTERNAL_IMPACT = "EXTERNAL_IMPACT"
    CONNECTION = "CONNECTION"
    UNAUTHORIZED_ACCESS = "UNAUTHORIZED_ACCESS"
    SELF_DIAGNOSTICS = "SELF_DIAGNOSTICS"
    TG_PHI = "TG_PHI"
    POWER_QUALITY = "POWER_QUALITY"


class MessageChannel(StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
