"""SQLModel tables of the whole domain. Importing this package registers every table in `SQLModel.metadata`."""

from models.appeals import Appeal, AppealAttachment, AppealMessage
from models.billing import (
    AccountDebt,
    Charge,
    ConsumptionNorm,
    KeyRate,
    Payment,
    PaymentCallback,
    Statement,
)
from models.identity import AuthSession, Customer, OneTimeCode, RateLimitCounter, RefreshToken, ServiceToken
from models.infra import EventConsumer, OutboundMessage, OutboxEvent, StoredFile
from models.isu import IsuDailyRegister, IsuEvent, IsuHourlyProfile, IsuPowerExtreme, MeteringPoint
from models.metering import ImportBatch, Meter, Reading, ReadingSubmission, SubmittedValue, Tariff
from models.objects import (
    AccountLink,
    ActivationAttempt,
    ActivationCode,
    Contract,
    ContractAccessRequest,
    ContractLink,
    DeliveryPoint,
    GridCompany,
    PersonalAccount,
    TechConnection,
    UtilityProvider,
)

__all__ = [
    "AccountDebt",
    "AccountLink",
    "ActivationAttempt",
    "ActivationCode",
    "Appeal",
    "AppealAttachment",
    "AppealMessage",
    "AuthSession",
    "Charge",
    "ConsumptionNorm",
    "Contract",
    "ContractAccessRequest",
    "ContractLink",
    "Customer",
    "DeliveryPoint",
    "EventConsumer",
    "GridCompany",
    "ImportBatch",
    "IsuDailyRegister",
    "IsuEvent",
    "IsuHourlyProfile",
    "IsuPowerExtreme",
    "KeyRate",
    "Meter",
    "MeteringPoint",
    "OneTimeCode",
    "OutboundMessage",
    "OutboxEvent",
    "Payment",
    "PaymentCallback",
    "PersonalAccount",
    "RateLimitCounter",
    "Reading",
    "ReadingSubmission",
    "RefreshToken",
    "ServiceToken",
    "Statement",
    "StoredFile",
    "SubmittedValue",
    "Tariff",
    "TechConnection",
    "UtilityProvider",
]
