"""Loaders of what a customer links: their link settings, contract access requests and tech connections."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select

from loaders.base import Loader, by_key, grouped
from models.objects import AccountLink, ContractAccessRequest, ContractLink, GridCompany, TechConnection


class AccountLinkOf(Loader[tuple[int, int], AccountLink | None]):
    """(customer id, account id) → that customer's link to the account (with its e-receipt setting)."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[AccountLink | None]:
        links = await self.objects(
            select(AccountLink).where(sa.tuple_(col(AccountLink.customer_id), col(AccountLink.account_id)).in_(keys))
        )
        found = {(link.customer_id, link.account_id): link for link in links}
        return [found.get(key) for key in keys]


class ContractLinkOf(Loader[tuple[int, int], ContractLink | None]):
    """(customer id, contract id) → that customer's link to the contract (with its e-receipt setting)."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[ContractLink | None]:
        links = await self.objects(
            select(ContractLink).where(
                sa.tuple_(col(ContractLink.customer_id), col(ContractLink.contract_id)).in_(keys)
            )
        )
        found = {(link.customer_id, link.contract_id): link for link in links}
        return [found.get(key) for key in keys]


class ContractAccessRequestById(Loader[int, ContractAccessRequest | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[ContractAccessRequest | None]:
        requests = await self.objects(select(ContractAccessRequest).where(col(ContractAccessRequest.id).in_(ids)))
        return by_key(ids, requests, "id")


class ContractAccessRequestsOfCustomer(Loader[int, list[ContractAccessRequest]]):
    """customer id → their requests, newest first."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[list[ContractAccessRequest]]:
        requests = await self.objects(
            select(ContractAccessRequest)
            .where(col(ContractAccessRequest.customer_id).in_(customer_ids))
            .order_by(col(ContractAccessRequest.created_at).desc(), col(ContractAccessRequest.id).desc())
        )
        return grouped(customer_ids, requests, "customer_id")


class TechConnectionById(Loader[int, TechConnection | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[TechConnection | None]:
        connections = await self.objects(select(TechConnection).where(col(TechConnection.id).in_(ids)))
        return by_key(ids, connections, "id")


class TechConnectionsOfCustomer(Loader[tuple[int, str], list[TechConnection]]):
    """(customer id, phone) → tech connections matched to the customer, or unmatched ones sent for their phone.

    The phone fallback shows an applicant what a grid company sent before they registered.
    """

    async def batch_load_fn(self, keys: list[tuple[int, str]]) -> list[list[TechConnection]]:
        customer_ids = [customer_id for customer_id, _ in keys]
        phones = [phone for _, phone in keys]
        connections = await self.objects(
            select(TechConnection)
            .where(
                col(TechConnection.customer_id).in_(customer_ids)
                | (col(TechConnection.customer_id).is_(None) & col(TechConnection.applicant_phone).in_(phones))
            )
            .order_by(col(TechConnection.updated_at).desc(), col(TechConnection.id).desc())
        )
        by_customer = {customer_id: phone for customer_id, phone in keys}
        customer_of_phone = {phone: customer_id for customer_id, phone in keys}
        result: dict[int, list[TechConnection]] = {customer_id: [] for customer_id in by_customer}
        for connection in connections:
            owner = connection.customer_id
            if owner is None:
                owner = customer_of_phone.get(connection.applicant_phone)
            if owner in result:
                result[owner].append(connection)
        return [result[customer_id] for customer_id, _ in keys]


class GridCompanyById(Loader[int, GridCompany | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[GridCompany | None]:
        companies = await self.objects(select(GridCompany).where(col(GridCompany.id).in_(ids)))
        return by_key(ids, companies, "id")
