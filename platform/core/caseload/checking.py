"""Check every row of a mapped caseload file: each problem named by row and column.

A row becomes a :class:`Record` (a person, their consultation and case, a progress note)
or problems; a file with any problem imports nothing. Problems: a required field empty,
an impossible or unreadable date, a date of consultation in the future, an unknown
counter, channel, stage or agency, a value too long — and a マイナンバー in any cell,
which is refused outright and never shown back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from kasane.core.caseload.fields import (
    CHANNEL_WORDS,
    FIELDS,
    FIELDS_BY_KEY,
    MAX_LENGTHS,
    SEXES,
    BadDate,
    labels_of,
    parse_date,
    squash,
)
from kasane.core.caseload.reading import Table
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import N_
from kasane.core.people.matching import normalize_kana, normalize_name, normalize_phone
from kasane.core.protection.mynumber import find_mynumber

MAX_SHOWN_PROBLEMS = 500  # the page lists this many; the count says how many there are


@dataclass(frozen=True)
class Problem:
    row: int  # the row number in the town's file (the header is row 1)
    column: str  # the file's header
    message: str  # msgid


@dataclass
class Record:
    row: int
    name: str
    kana: str = ""
    birth_date: date | None = None
    sex: str | None = None
    address: str = ""
    phone: str = ""
    received_on: date | None = None
    counter_key: str = ""
    channel: str = ""
    topic: str = "other"
    narrative: str = ""
    stage: str = "intake"
    lead_agency_key: str = ""
    progress: str = ""

    @property
    def person_key(self) -> tuple[str, str]:
        """Rows of one person in the file share it (name and birth date, else kana)."""
        return normalize_name(self.name), (
            self.birth_date.isoformat() if self.birth_date else normalize_kana(self.kana)
        )


@dataclass
class Checked:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Choices:
    """A tenant's choices, found by key, Japanese or English label (squashed)."""

    def __init__(self, config: TenantConfig) -> None:
        self.counters: dict[str, str] = {}
        for c in config.counters:  # retired counters take no new consultations
            for word in {squash(c.key), *labels_of(c.name)}:
                self.counters[word] = c.key
        self.agencies: dict[str, str] = {}
        for a in config.agencies:
            for word in {squash(a.key), *labels_of(a.name)}:
                self.agencies[word] = a.key
        self.counter_agency = {
            c.key: c.agency or config.coordinating_agency().key for c in config.counters
        }
        self.stages: dict[str, str] = {}
        for key, label in config.stage_labels.items():
            for word in {squash(key), *labels_of(label)}:
                self.stages[word] = key
        intake = {f.name: f for f in config.forms["intake"].all_fields()}
        self.channels = self._of(intake.get("channel"), CHANNEL_WORDS)
        self.topics = self._of(intake.get("main_category"), {})

    @staticmethod
    def _of(form_field: object, words: dict[str, str]) -> dict[str, str]:
        found = {squash(k): v for k, v in words.items()}
        for choice in getattr(form_field, "choices", []) or []:
            for word in {squash(choice.value), *labels_of(choice.label)}:
                found[word] = choice.value
        return found


def _text(values: dict[str, str], key: str) -> str:
    return values.get(key, "").strip()


def check_rows(table: Table, mapping: dict[str, str], config: TenantConfig, today: date) -> Checked:
    """Every problem of every row, and the records of a file that has none.

    ``mapping``: the file's header → a field key (unmapped headers are ignored, but their
    cells are still searched for a マイナンバー).
    """
    checked = Checked()
    choices = _Choices(config)
    column_of = {key: header for header, key in mapping.items() if key in FIELDS_BY_KEY}
    missing = [f for f in FIELDS if f.required and f.key not in column_of]
    for f in missing:  # a required field with no column: one problem on the header row
        checked.problems.append(Problem(1, f.label, N_("Choose the column for this field")))
    index = {h: i for i, h in enumerate(table.headers)}
    for number, cells in table.rows:
        problems = _check_row(
            number, cells, table, column_of, index, choices, today, checked.records
        )
        checked.problems.extend(problems)
    if checked.problems:
        checked.records = []
    return checked


def _check_row(
    number: int,
    cells: list[str],
    table: Table,
    column_of: dict[str, str],
    index: dict[str, int],
    choices: _Choices,
    today: date,
    records: list[Record],
) -> list[Problem]:
    """The row's problems; a row without any becomes a record (appended to ``records``)."""
    problems = [
        Problem(number, header, N_("A My Number is in this cell; remove it (refused)"))
        for header, cell in zip(table.headers, cells, strict=False)
        if (number, header) in table.refused or (cell and find_mynumber(cell))
    ]
    if problems:
        return problems  # nothing else of a row carrying a My Number is read

    def problem(key: str, message: str) -> None:
        problems.append(Problem(number, column_of[key], message))

    values = {key: cells[index[header]] for key, header in column_of.items()}
    record = Record(row=number, name=_text(values, "name"))
    _check_filled(values, column_of, problem)
    _read_dates(values, column_of, record, today, problem)
    for key in ("kana", "address", "phone", "narrative", "progress"):
        setattr(record, key, _text(values, key))
    _read_choices(values, choices, record, problem)
    if not problems:
        records.append(record)
    return problems


def _check_filled(
    values: dict[str, str], column_of: dict[str, str], problem: Callable[[str, str], None]
) -> None:
    """Cells that are too long, and required cells that are empty."""
    for key, limit in MAX_LENGTHS.items():
        if key in column_of and len(_text(values, key)) > limit:
            problem(key, N_("Too long for this field"))
    for key in ("name", "received_on", "counter"):
        if key in column_of and not _text(values, key):
            problem(key, N_("Required: this cell is empty"))


def _read_dates(
    values: dict[str, str],
    column_of: dict[str, str],
    record: Record,
    today: date,
    problem: Callable[[str, str], None],
) -> None:
    """The birth date and the date received, as ``parse_date`` reads them; never in the
    future."""
    for key in ("birth_date", "received_on"):
        if key not in column_of:
            continue
        try:
            day = parse_date(values[key])
        except BadDate as exc:
            problem(key, str(exc.args[0]))
            continue
        if day is not None and day > today:
            problem(key, N_("This date is in the future"))
        setattr(record, key, day)


def _read_choices(
    values: dict[str, str], choices: _Choices, record: Record, problem: Callable[[str, str], None]
) -> None:
    """Sex, counter, channel, topic, stage and lead agency, each one of the town's known
    words (the lead defaults to the counter's agency)."""
    if sex := squash(_text(values, "sex")):
        record.sex = SEXES.get(sex)
        if record.sex is None:
            problem("sex", N_("Unknown sex (write 男, 女 or その他)"))
    if counter := _text(values, "counter"):
        record.counter_key = choices.counters.get(squash(counter), "")
        if not record.counter_key:
            problem("counter", N_("Unknown counter: not one of this municipality's counters"))
    for key, known, attr, message in (
        ("channel", choices.channels, "channel", N_("Unknown channel")),
        ("topic", choices.topics, "topic", N_("Unknown topic")),
        ("stage", choices.stages, "stage", N_("Unknown stage")),
        ("lead_agency", choices.agencies, "lead_agency_key", N_("Unknown agency")),
    ):
        if word := _text(values, key):
            found = known.get(squash(word))
            if found is None:
                problem(key, message)
            else:
                setattr(record, attr, found)
    if not record.lead_agency_key and record.counter_key:
        record.lead_agency_key = choices.counter_agency.get(record.counter_key, "")


@dataclass(frozen=True)
class Existing:
    """A known person, as duplicate detection sees it."""

    id: str
    name: str
    birth_date: date | None
    name_norm: str
    kana_norm: str
    phone_norm: str


@dataclass(frozen=True)
class Duplicate:
    row: int
    name: str
    birth_date: date | None
    existing: Existing
    reason: str  # msgid


def find_duplicates(records: Iterable[Record], people: Iterable[Existing]) -> list[Duplicate]:
    """Rows that may be someone already known: same name or reading and the same birth
    date, or the same telephone number. Proposed to the admin, never merged silently."""
    by_name: dict[tuple[str, date], Existing] = {}
    by_phone: dict[str, Existing] = {}
    for p in people:
        if p.birth_date:
            by_name.setdefault((p.name_norm, p.birth_date), p)
            if p.kana_norm:
                by_name.setdefault((p.kana_norm, p.birth_date), p)
        for phone in p.phone_norm.split():
            if len(phone) >= 10:
                by_phone.setdefault(phone, p)
    found: list[Duplicate] = []
    for r in records:
        match, reason = None, ""
        if r.birth_date:
            match = by_name.get((normalize_name(r.name), r.birth_date)) or by_name.get(
                (normalize_kana(r.kana), r.birth_date)
            )
            reason = N_("Same name or reading and the same date of birth")
        phone = normalize_phone(r.phone)
        if match is None and len(phone) >= 10 and phone in by_phone:
            match, reason = by_phone[phone], N_("Same telephone number")
        if match is not None:
            found.append(Duplicate(r.row, r.name, r.birth_date, match, reason))
    return found
