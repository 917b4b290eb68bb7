"""Writing a checked batch: the rows of people, households, consultations, cases, their
lead agency, first stage event and progress note, inserted table by table per chunk.

What the services do one record at a time is done here for thousands at once: search
keys, sealing with the tenant's key (the cipher is fetched once), case numbers in order,
one household per new person, people met twice in the file made once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.auth.actor import ActorInfo
from kasane.core.caseload.checking import Record
from kasane.core.cases.models import Case, CaseAgency, ProgressNote, StageEvent
from kasane.core.config_types import TenantConfig
from kasane.core.db import utcnow, uuid7
from kasane.core.intake.models import Consultation
from kasane.core.people.matching import normalize_phone, search_keys
from kasane.core.people.models import Household, HouseholdMember, Person


class BatchWriter:
    """Builds the rows of a chunk of records and inserts them table by table."""

    def __init__(
        self,
        session: AsyncSession,
        actor: ActorInfo,
        config: TenantConfig,
        import_id: uuid.UUID,
        cipher: Any,
    ) -> None:
        self.s, self.actor, self.config, self.import_id = session, actor, config, import_id
        self.cipher = cipher
        self.tenant_id: uuid.UUID = session.info["tenant_id"]
        self.people: dict[tuple[str, str], tuple[uuid.UUID, uuid.UUID | None]] = {}
        self.made = dict.fromkeys(
            ("people", "households", "consultations", "cases", "progress_notes"), 0
        )
        self.next_case_no = 0
        self.now = utcnow()

    async def prepare(self) -> None:
        last = await self.s.scalar(select(func.coalesce(func.max(Case.case_no), 0)))
        self.next_case_no = int(last or 0) + 1

    async def _household_of(self, person_id: uuid.UUID) -> uuid.UUID | None:
        return await self.s.scalar(
            select(HouseholdMember.household_id)
            .where(HouseholdMember.person_id == person_id)
            .limit(1)
        )

    async def write(self, records: list[Record], link_rows: dict[int, uuid.UUID]) -> None:
        """Write ``records`` (people and households first, then each one's case and its
        consultation) in one bulk insert per table."""
        rows: dict[str, list[dict[str, Any]]] = {
            k: [] for k in ("people", "households", "members", "consultations", "cases",
                            "agencies", "events", "notes")
        }  # fmt: skip
        for r in records:
            counter = self.config.counter(r.counter_key)
            area = counter.area if counter else None
            person_id, household_id = await self._person(r, link_rows, rows, area)
            case_id = self._case_rows(r, person_id, household_id, area, rows)
            self._consultation_rows(r, person_id, case_id, rows)
        for key, model in (("people", Person), ("households", Household),
                           ("members", HouseholdMember), ("cases", Case),
                           ("agencies", CaseAgency), ("events", StageEvent),
                           ("consultations", Consultation), ("notes", ProgressNote)):  # fmt: skip
            if rows[key]:
                # the Core table, not the ORM entity: no per-row ORM bookkeeping
                await self.s.execute(insert(cast(Table, model.__table__)), rows[key])
        for key, made in (("people", "people"), ("households", "households"),
                          ("consultations", "consultations"), ("cases", "cases"),
                          ("notes", "progress_notes")):  # fmt: skip
            self.made[made] += len(rows[key])

    def _case_rows(
        self,
        r: Record,
        person_id: uuid.UUID,
        household_id: uuid.UUID,
        area: str | None,
        rows: dict[str, list[dict[str, Any]]],
    ) -> uuid.UUID:
        """The record's case, its lead agency and its first stage event; the case's id."""
        t, imp, by = self.tenant_id, self.import_id, self.actor.id
        case_id = uuid7()
        rows["cases"].append({
            "tenant_id": t, "id": case_id, "case_no": self.next_case_no,
            "household_id": household_id, "person_id": person_id, "stage": r.stage,
            "lead_agency_key": r.lead_agency_key, "counter_key": r.counter_key,
            "area_key": area, "collaboration": False, "opened_on": r.received_on,
            "closed_on": r.received_on if r.stage == "closed" else None,
            "import_id": imp, "updated_at": self.now,
        })  # fmt: skip
        self.next_case_no += 1
        rows["agencies"].append({
            "tenant_id": t, "id": uuid7(), "case_id": case_id,
            "agency_key": r.lead_agency_key, "role": "lead", "started_on": r.received_on,
        })  # fmt: skip
        rows["events"].append({
            "tenant_id": t, "id": uuid7(), "case_id": case_id, "from_stage": None,
            "to_stage": r.stage, "at": self.now, "by": by, "note": "caseload import",
        })  # fmt: skip
        return case_id

    def _consultation_rows(
        self,
        r: Record,
        person_id: uuid.UUID,
        case_id: uuid.UUID,
        rows: dict[str, list[dict[str, Any]]],
    ) -> None:
        """The record's consultation (its narrative sealed) and, when the town kept one, its
        progress as a note."""
        t, imp, by = self.tenant_id, self.import_id, self.actor.id
        consultation_id = uuid7()
        sealed = ""
        if r.narrative:
            body = json.dumps({"narrative": r.narrative}, ensure_ascii=False)
            sealed = self.cipher.seal("consultations", consultation_id, "sealed", body)
        rows["consultations"].append({
            "tenant_id": t, "id": consultation_id, "counter_key": r.counter_key,
            "received_on": r.received_on, "received_by": by, "channel": r.channel,
            "person_id": person_id, "visitor_name": "", "visitor_phone": "",
            "visitor_relation": "", "categories": [r.topic], "main_category": r.topic,
            "form_version": self.config.forms["intake"].version,
            "config_version": self.config.version or None, "data": {}, "sealed": sealed,
            "outcome": "continued", "case_id": case_id, "import_id": imp,
            "created_at": self.now,
        })  # fmt: skip
        if r.progress:
            note_id = uuid7()
            rows["notes"].append({
                "tenant_id": t, "id": note_id, "case_id": case_id, "kind": "other",
                "occurred_on": r.received_on,
                "body_sealed": self.cipher.seal("progress_notes", note_id, "body", r.progress),
                "agency_key": r.lead_agency_key, "created_by": by, "created_at": self.now,
            })  # fmt: skip

    async def _person(
        self,
        r: Record,
        link_rows: dict[int, uuid.UUID],
        rows: dict[str, list[dict[str, Any]]],
        area: str | None,
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """The row's person and household: an existing person the admin linked, one met
        earlier in the file, or a new one with a household of their own."""
        t, imp = self.tenant_id, self.import_id
        if (linked := link_rows.get(r.row)) is not None:
            household = await self._household_of(linked)
            if household is None:
                household = uuid7()
                rows["households"].append({"tenant_id": t, "id": household,
                    "label": f"{r.name} 世帯", "address": r.address, "area_key": area,
                    "import_id": imp, "created_at": self.now})  # fmt: skip
                rows["members"].append({"tenant_id": t, "id": uuid7(), "household_id": household,
                    "person_id": linked, "relation": "head", "is_carer": False,
                    "needs_care": False, "withdrawn": False, "note": ""})  # fmt: skip
            return linked, household
        known = self.people.get(r.person_key)
        if known is not None and known[1] is not None:
            return known[0], known[1]
        person, household = uuid7(), uuid7()
        name_norm, kana_norm = search_keys(r.name, r.kana)
        rows["people"].append({
            "tenant_id": t, "id": person, "name": r.name, "kana": r.kana,
            "name_norm": name_norm, "kana_norm": kana_norm, "sex": r.sex,
            "birth_date": r.birth_date, "address": r.address, "phone_home": r.phone,
            "phone_mobile": "", "phone_norm": normalize_phone(r.phone), "email": "",
            "area_key": area, "import_id": imp, "created_at": self.now, "updated_at": self.now,
        })  # fmt: skip
        rows["households"].append({"tenant_id": t, "id": household, "label": f"{r.name} 世帯",
            "address": r.address, "area_key": area, "import_id": imp,
            "created_at": self.now})  # fmt: skip
        rows["members"].append({"tenant_id": t, "id": uuid7(), "household_id": household,
            "person_id": person, "relation": "head", "is_carer": False, "needs_care": False,
            "withdrawn": False, "note": ""})  # fmt: skip
        self.people[r.person_key] = (person, household)
        return person, household
