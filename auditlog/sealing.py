"""Tamper evidence for the audit log (SPEC §8): entries are sealed in batches, each seal chained to the last.

A seal stores the SHA-256 of its entries' content (in id order) and the SHA-256
of the previous seal; ``verify`` recomputes both. Entries are sealed only once
they are older than a safety margin and older than the oldest transaction still
running on PostgreSQL, so that no entry can still appear inside a sealed range.

The chain alone cannot tell a rewrite of every seal from the edit onwards by someone with the database's
owner rights: only a seal's hash kept *outside* the database can. ``seal_audit`` prints the head of the
chain (the last sealed entry's id and the seal's SHA-256) every time it runs, into the scheduler's log;
``verify_audit --anchor ID:SHA256`` requires the seal ending at that entry to hold that hash, which holds
every seal and entry up to it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction

from ibank import clock

from .models import AuditEntry, AuditSeal

GENESIS = "0" * 64
BATCH = 1000
MARGIN = timedelta(seconds=30)


def entry_content(entry: AuditEntry) -> bytes:
    """The canonical bytes of one entry: every column."""
    fields = [
        entry.pk,
        entry.at.isoformat(),
        entry.action,
        entry.outcome,
        entry.reason,
        entry.contract_id or "",
        entry.actor,
        entry.ip or "",
        entry.user_agent,
        json.dumps(entry.detail, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
    ]
    return "\x1f".join(map(str, fields)).encode()


def _digest(entries) -> tuple[str, int]:
    h = hashlib.sha256()
    count = 0
    for entry in entries:
        h.update(hashlib.sha256(entry_content(entry)).digest())
        count += 1
    return h.hexdigest(), count


def seal_hash(previous: str, entries_sha256: str, first_id: int, last_id: int, count: int) -> str:
    return hashlib.sha256(f"{previous}|{entries_sha256}|{first_id}|{last_id}|{count}".encode()).hexdigest()


def _horizon(margin: timedelta):
    """Entries made before this instant can no longer appear: no transaction that could add one is open."""
    horizon = clock.now() - margin
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            horizon = min(horizon, oldest - timedelta(seconds=5))
    return horizon


def seal(*, margin: timedelta = MARGIN, batch: int = BATCH) -> list[AuditSeal]:
    """Seal every unsealed entry older than the horizon, ``batch`` entries a seal. Returns the new seals."""
    made = []
    horizon = _horizon(margin)
    while True:
        with transaction.atomic():
            last = AuditSeal.objects.select_for_update().order_by("-last_id").first()
            after = last.last_id if last else 0
            previous = last.sha256 if last else GENESIS
            # A contiguous run of ids: stop at the first entry that is not old enough. (Taking every old
            # enough entry instead would skip a younger one whose id falls in between, and that entry
            # would then lie inside a sealed range.)
            entries = []
            for candidate in AuditEntry.objects.filter(pk__gt=after).order_by("pk")[:batch]:
                if candidate.at >= horizon:
                    break
                entries.append(candidate)
            if not entries:
                return made
            entries_sha256, count = _digest(entries)
            first_id, last_id = entries[0].pk, entries[-1].pk
            made.append(
                AuditSeal.objects.create(
                    first_id=first_id,
                    last_id=last_id,
                    count=count,
                    entries_sha256=entries_sha256,
                    previous_sha256=previous,
                    sha256=seal_hash(previous, entries_sha256, first_id, last_id, count),
                )
            )


@dataclass
class Report:
    seals: int
    broken: AuditSeal | None
    problem: str
    unsealed: int
    head: AuditSeal | None = None


def head() -> AuditSeal | None:
    """The chain's last seal (what to keep outside the database), or None before the first."""
    return AuditSeal.objects.order_by("-last_id").first()


def verify(anchors: dict[int, str] | None = None) -> Report:
    """Check every seal in order; with ``anchors`` (last sealed entry id -> the seal's SHA-256 as recorded
    outside the database), each must be a seal of the intact chain with that hash. The report names the
    first broken seal, or the first anchor not matched (``broken`` None, ``problem`` set)."""
    report = _verify_chain()
    if report.problem:
        return report
    for last_id, sha256 in sorted((anchors or {}).items()):
        found = AuditSeal.objects.filter(last_id=last_id).values_list("sha256", flat=True).first()
        if found != sha256.lower():
            what = "no seal ends there" if found is None else "the seal ending there has another hash"
            report.problem = f"anchor {last_id}: {what}"
            return report
    return report


def _verify_chain() -> Report:
    previous = GENESIS
    checked = 0
    after = 0
    for item in AuditSeal.objects.order_by("last_id").iterator():
        entries = AuditEntry.objects.filter(pk__gte=item.first_id, pk__lte=item.last_id).order_by("pk")
        entries_sha256, count = _digest(entries.iterator())
        problem = ""
        if item.first_id <= after:
            problem = "overlaps the previous seal"
        elif item.previous_sha256 != previous:
            problem = "does not chain to the previous seal"
        elif count != item.count:
            problem = f"holds {count} entries, sealed with {item.count}"
        elif entries_sha256 != item.entries_sha256:
            problem = "an entry's content changed"
        elif seal_hash(previous, entries_sha256, item.first_id, item.last_id, count) != item.sha256:
            problem = "the seal itself changed"
        if problem:
            return Report(checked, item, problem, AuditEntry.objects.filter(pk__gt=after).count())
        previous, after = item.sha256, item.last_id
        checked += 1
    return Report(checked, None, "", AuditEntry.objects.filter(pk__gt=after).count(), head())
