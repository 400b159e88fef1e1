"""Who receives the money for electricity: the supplier's bank details printed on every payment document."""

from __future__ import annotations

from dataclasses import dataclass

SUPPLIER_NAME = "ООО «ТГК-2 Энергосбыт»"
SUPPLIER_ADDRESS = "163000, г. Архангельск, наб. Северной Двины, д. 78"
SUPPLIER_PHONE = "8 (8182) 63-82-00"


@dataclass(frozen=True, slots=True)
class Payee:
    name: str
    inn: str
    kpp: str
    account: str  # расчётный счёт, 20 digits
    bank_name: str
    bic: str  # БИК, 9 digits
    correspondent_account: str  # корреспондентский счёт банка, 20 digits


# The account's control key is valid for the BIC (Bank of Russia rule: weights 7-1-3 over BIC[-3:] + account).
ENERGOSBYT = Payee(
    name=SUPPLIER_NAME,
    inn="2901073840",
    kpp="290101001",
    account="40702810604000012345",
    bank_name="Архангельское отделение № 8637 ПАО Сбербанк",
    bic="041117601",
    correspondent_account="30101810100000000601",
)
