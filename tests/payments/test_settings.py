"""Production refuses the development payment provider; with payments disabled it starts and takes no payments."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.errors import DomainError
from services.payments.provider import payment_provider
from services.platform.settings import EmailGateway, Environment, Settings, SmsGateway

READY = {
    "environment": Environment.PRODUCTION,
    "secret_key": "s" * 40,
    "sms_gateway": SmsGateway.HTTP,
    "sms_gateway_url": "https://sms.example",
    "email_gateway": EmailGateway.SMTP,
    "database_url": "postgresql://db/lk",
}


@pytest.mark.parametrize(
    ("payments", "problem"),
    [
        (
            {},
            "PAYMENT_PROVIDER=dev is a development provider that takes no money; "
            "set PAYMENT_PROVIDER=yookassa or disabled",
        ),
        ({"payment_provider": "disabled"}, None),
        ({"payment_provider": "yookassa"}, "PAYMENT_PROVIDER=yookassa needs YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY"),
        (
            {"payment_provider": "yookassa", "yookassa_shop_id": "506751"},
            "PAYMENT_PROVIDER=yookassa needs YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY",
        ),
        (
            {
                "payment_provider": "yookassa",
                "yookassa_shop_id": "506751",
                "yookassa_secret_key": "live_secret",
                "yookassa_api_url": "http://api.yookassa.ru/v3",
            },
            "YOOKASSA_API_URL must be an https:// URL in production",
        ),
        ({"payment_provider": "yookassa", "yookassa_shop_id": "506751", "yookassa_secret_key": "live_secret"}, None),
    ],
)
def test_production_payment_settings(payments: dict[str, str], problem: str | None) -> None:
    settings = Settings(_env_file=None, **READY, **payments)  # type: ignore[arg-type]

    assert settings.production_problems() == ([problem] if problem else [])


def test_an_unknown_payment_provider_is_a_bad_setting() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, payment_provider="bank")  # type: ignore[arg-type]


def test_disabled_payments_answer_with_a_clear_error() -> None:
    settings = Settings(_env_file=None, payment_provider="disabled")

    with pytest.raises(DomainError) as refused:
        payment_provider(settings)

    assert refused.value.problems[0].message == "Оплата через личный кабинет временно недоступна. Оплатите по квитанции"
