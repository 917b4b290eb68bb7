"""The central comparison in the demo: usuki and marugame take part, beside SYNTHETIC towns.

The other towns here are fictitious (invented names; codes with 9xx in the middle, which no
real municipality uses) and their figures are synthetic (:mod:`kasane.central.synthetic`):
enough of them in 香川県 and 大分県 for a prefecture's view, and across Japan for a national
one. Everything released from them is marked synthetic in the released rows and on every
page. usuki and marugame are counted from their demo records like any opted-in tenant.

The seed opts the two demo tenants in (audited) unless their admin has decided already,
creates the demo central accounts (``analyst``: every town; ``kagawa``: 香川県's analyst;
``guest``: read only), and releases last fiscal year and last month — idempotently: a
second run releases nothing new and spends no budget. Two synthetic "pilot" towns had the
two months before released too, so last month would take them past ε 8: the release is
refused for them, and the budget page names them (when those months are in the same fiscal
year as last month).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kasane.central.accounts import do_create_account
from kasane.central.models import CentralAccount
from kasane.central.release import do_release
from kasane.central.release_types import Town
from kasane.central.synthetic import synthetic_town
from kasane.core.audit.models import AuditEvent
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.reports.periods import Period, fiscal_year_of
from kasane.tenants.codes import check_digit
from kasane.tenants.comparison import do_set_sharing, opted_in_towns
from kasane.tenants.models import Tenant

DEMO_CENTRAL_PASSWORD = "kasane-demo"
DEMO_CENTRAL_ACCOUNTS = [
    # (username, display name, role, prefecture code)
    ("analyst", "運営者アナリスト（デモ）", "operator_analyst", None),
    ("kagawa", "香川県 地域福祉課（デモ）", "prefecture_analyst", "37"),
    ("guest", "閲覧のみ（デモ）", "guest", None),
]
# SYNTHETIC, fictitious towns: (prefecture code, prefecture, name, population).
DEMO_TOWNS: list[tuple[str, str, str, int]] = [
    ("37", "香川県", "しおかぜ市", 418_000),
    ("37", "香川県", "あさなぎ町", 52_000),
    ("37", "香川県", "ことのは町", 31_000),
    ("37", "香川県", "ゆうやけ市", 64_000),
    ("37", "香川県", "みかづき町", 12_800),
    ("37", "香川県", "うみほたる町", 7_900),
    ("37", "香川県", "せとかげ町", 18_500),
    ("37", "香川県", "こまどり町", 23_600),
    ("44", "大分県", "ゆけむり市", 472_000),
    ("44", "大分県", "たきのぼり市", 118_000),
    ("44", "大分県", "つきみの市", 68_000),
    ("44", "大分県", "もみじだに町", 27_000),
    ("44", "大分県", "ほしあかり町", 14_200),
    ("44", "大分県", "やまぶき村", 9_100),
    ("44", "大分県", "かわせみ町", 21_500),
    ("01", "北海道", "しらかば市", 186_000),
    ("01", "北海道", "ゆきあかり町", 11_400),
    ("01", "北海道", "はまなす村", 4_300),
    ("01", "北海道", "こおりの町", 16_900),
    ("04", "宮城県", "あおばやま市", 240_000),
    ("04", "宮城県", "なのはな町", 33_000),
    ("13", "東京都", "ひだまり市", 385_000),
    ("13", "東京都", "こもれび市", 152_000),
    ("13", "東京都", "かぜまち市", 74_000),
    ("14", "神奈川県", "しおさい市", 1_210_000),
    ("14", "神奈川県", "あじさい谷町", 41_000),
    ("23", "愛知県", "ひまわり台市", 330_000),
    ("23", "愛知県", "つばさ野町", 45_000),
    ("27", "大阪府", "なにわ野市", 505_000),
    ("27", "大阪府", "いちょう坂市", 96_000),
    ("27", "大阪府", "くすのき町", 28_000),
    ("28", "兵庫県", "みなとがおか市", 278_000),
    ("28", "兵庫県", "はりま野町", 19_800),
    ("34", "広島県", "もみじ浜市", 142_000),
    ("34", "広島県", "しまなみ町", 13_300),
    ("40", "福岡県", "ほたる川市", 212_000),
    ("40", "福岡県", "うめがえ市", 58_000),
    ("40", "福岡県", "こがね野町", 22_400),
    ("47", "沖縄県", "さんごの市", 124_000),
    ("47", "沖縄県", "でいご町", 26_000),
]


PILOT_TOWNS = ("ことのは町", "つきみの市")  # SYNTHETIC: released monthly since two months back


def demo_towns() -> list[Town]:
    """The SYNTHETIC towns, each with a code ``PP9NNc`` (prefecture, 9NN, check digit)."""
    towns, seen = [], {}
    for pref_code, prefecture, name, population in DEMO_TOWNS:
        seen[pref_code] = seen.get(pref_code, 0) + 1
        first_five = f"{pref_code}9{seen[pref_code]:02d}"
        code = first_five + str(check_digit(first_five))
        towns.append(synthetic_town(code, name, prefecture, population))
    return towns


def _month_before(day: date, n: int) -> Period:
    for _ in range(n):
        day = day.replace(day=1) - timedelta(days=1)
    return Period.month(day.year, day.month)


def demo_periods(today: date) -> list[tuple[Period, bool]]:
    """(period, pilots only): last fiscal year; the pilots' two months before last month
    (when in last month's fiscal year); last month. All over, so all can be released."""
    last = _month_before(today, 1)
    pilots = [_month_before(today, n) for n in (3, 2)]
    return [
        (Period.fiscal_year(fiscal_year_of(today) - 1), False),
        *((p, True) for p in pilots if p.fiscal_year_number == last.fiscal_year_number),
        (last, False),
    ]


async def _opt_in(db: Database, tenant: Tenant) -> bool:
    """Opt a demo tenant in, unless its admin has turned the comparison on or off before."""
    async with db.session(tenant.id) as s:
        decided = (
            await s.execute(
                select(AuditEvent.id).where(AuditEvent.action == "tenant.comparison").limit(1)
            )
        ).first()
        if decided:
            return False
        await do_set_sharing(
            s, tenant.id, opt_in=True, population=tenant.population or 0, actor="demo-seed"
        )
    return True


async def _accounts(central_db: Database) -> list[str]:
    lines = []
    async with central_db.session() as s:
        existing = set((await s.execute(select(CentralAccount.username))).scalars())
        for username, display, role, pref in DEMO_CENTRAL_ACCOUNTS:
            if username not in existing:
                await do_create_account(
                    s,
                    username=username,
                    display_name=display,
                    role=role,
                    password=DEMO_CENTRAL_PASSWORD,
                    prefecture_code=pref,
                    actor="demo-seed",
                    min_password=len(DEMO_CENTRAL_PASSWORD),  # the demo's one password
                )
                lines.append(f"created central account {username} ({role})")
    return lines


async def seed_central(
    db: Database,
    tenants: list[Tenant],
    central_db: Database | None = None,
    today: date | None = None,
) -> list[str]:
    """Opt the demo tenants in, create the demo central accounts, release the demo periods."""
    lines = []
    for tenant in tenants:
        if await _opt_in(db, tenant):
            lines.append(f"{tenant.slug} takes part in the central comparison")
    lines += await _accounts(central_db or db)
    today = today or today_jst()
    towns = await opted_in_towns(db) + demo_towns()
    for period, pilots_only in demo_periods(today):
        chosen = [t for t in towns if t.name in PILOT_TOWNS] if pilots_only else towns
        outcome = await do_release(db, chosen, period, today=today)
        if outcome.written:
            lines += outcome.lines()
    return lines
