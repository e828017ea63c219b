"""The contract's side of the bank: contracts, accounts, logins, locks, the daily usage, staff devices."""

from .contract import (
    CARD_CELLS,
    CARD_CHALLENGE_SIZE,
    CARD_COLUMNS,
    CARD_ROWS,
    INTERNAL_ACCOUNTS,
    Account,
    AccountQuerySet,
    Contract,
    DailyUsage,
    LoginRecord,
    User,
    contract_id_validator,
)
from .environments import KnownEnvironment
from .locks import Lock
from .staff import StaffDevice, StaffEnrollmentCode

__all__ = [
    "CARD_CELLS",
    "CARD_CHALLENGE_SIZE",
    "CARD_COLUMNS",
    "CARD_ROWS",
    "INTERNAL_ACCOUNTS",
    "Account",
    "AccountQuerySet",
    "Contract",
    "DailyUsage",
    "KnownEnvironment",
    "Lock",
    "LoginRecord",
    "StaffDevice",
    "StaffEnrollmentCode",
    "User",
    "contract_id_validator",
]
