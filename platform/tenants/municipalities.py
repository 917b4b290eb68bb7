"""The bundled list of every municipality in Japan, looked up by 全国地方公共団体コード.

The list is ``kasane/tenants/data/municipalities.csv`` (see ``SOURCES.md`` beside it):
1,741 municipalities (市町村 and Tokyo's 特別区), each with its six-digit code, prefecture,
name, reading and — where known — population.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Municipality:
    code: str  # six digits, check digit included
    prefecture: str
    name: str
    kana: str
    population: int | None  # None when the bundled list has no figure


@cache
def all_municipalities() -> dict[str, Municipality]:
    """Code → municipality, read once from the bundled CSV."""
    text = resources.files("kasane.tenants.data").joinpath("municipalities.csv").read_text("utf-8")
    found: dict[str, Municipality] = {}
    for row in csv.DictReader(io.StringIO(text)):
        population = row.get("population", "").strip()
        found[row["code"]] = Municipality(
            code=row["code"],
            prefecture=row["prefecture"],
            name=row["name"],
            kana=row.get("kana", ""),
            population=int(population) if population else None,
        )
    return found


def find_municipality(code: str) -> Municipality | None:
    """The municipality with this six-digit code, or None when no municipality has it."""
    return all_municipalities().get(code.strip())
