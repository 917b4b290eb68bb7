"""A demo resource registry (社会資源) for ``make run``: dozens of entries per demo tenant.

EVERYTHING HERE IS FICTITIOUS OR GENERIC. Every organization and place name ends in
（架空）, addresses are 架空, and no phone number or e-mail address is given. The kinds of
resource are the ones a 重層的支援体制整備事業 registry holds: 居場所, サロン, 子ども食堂,
就労体験の受け入れ企業, 見守り, 住まい支援, ボランティア団体, 学習支援 …, spread over the
tenant's areas, about a third public (open data), with schedules, a small Japanese
taxonomy, and review dates that put a few on the review-due list.

``seed_registry`` is idempotent: it adds the taxonomy and the entries that are missing (by
name) and changes nothing that exists. No sharing is seeded (the demo towns are not
neighbours).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.config_types import Area, TenantConfig
from kasane.core.db import Database
from kasane.core.japan_time import today_jst
from kasane.core.registry.models import Organization, Service, Taxonomy, TaxonomyTerm
from kasane.core.registry.services import ServiceInput, do_create_service

ACTOR = "demo-seed"
TAXONOMY_NAME = "かさね 社会資源分類（デモ）"
TERMS: list[tuple[str, str, str]] = [
    ("ibasho", "居場所・交流", "サロン、カフェ、たまり場など、誰でも立ち寄れる場所"),
    ("shuro", "就労", "就労体験・就労訓練の受け入れ、中間的就労"),
    ("sumai", "住まい", "住まい探しや入居後の暮らしの支援"),
    ("mimamori", "見守り・生活支援", "見守り、買い物・ごみ出しなどの生活支援"),
    ("kodomo", "子ども・子育て", "子ども・若者・子育て家庭のための場と支援"),
    ("shoku", "食", "子ども食堂、フードバンク、配食"),
    ("manabi", "学び", "学習支援、学び直し、趣味の講座"),
    ("volunteer", "ボランティア・地域活動", "参加できるボランティアや地域の活動"),
    ("sodan", "相談", "気軽に話せる相談の場、家族会、ピアサポート"),
]
POSTAL = {"usuki": "875-00", "marugame": "763-00"}


@dataclass(frozen=True)
class Entry:
    name: str
    kana: str
    org: str
    terms: tuple[str, ...]
    description: str
    days: tuple[str, ...] = ()
    nth: str = ""
    hours: tuple[str, str] | None = None
    eligibility: str = ""
    fees: str = ""
    how: str = ""
    accessibility: str = ""
    area: str | None = None  # an area key; None = the first top-level area


def _town_entries(town: str) -> list[Entry]:
    """Resources every demo town gets (names are generic and marked 架空).

    Long: a table of demo resources, read top to bottom.
    """
    return [
        Entry(
            "子ども食堂 ひだまり（架空）",
            "こどもしょくどう ひだまり",
            "NPO法人 ひだまりの会（架空）",
            ("shoku", "kodomo", "ibasho"),
            "地域の子どもと大人がいっしょに夕ごはんを食べる食堂です。",
            ("WE",),
            "",
            ("17:00", "19:30"),
            "子ども（高校生まで）と保護者、地域の方",
            "子ども無料、大人300円",
            "予約不要。初めての方は当日声をかけてください。",
            "1階・段差なし",
        ),
        Entry(
            "フードバンク おすそわけ（架空）",
            "ふーどばんく おすそわけ",
            "NPO法人 ひだまりの会（架空）",
            ("shoku", "mimamori"),
            "家庭で余った食品を集め、必要な世帯に届けます。",
            ("TU", "FR"),
            "",
            ("10:00", "16:00"),
            "食べるものに困っている世帯（相談窓口からの紹介）",
            "無料",
            "相談窓口または社会福祉協議会から連絡します。",
        ),
        Entry(
            "就労体験 みどり農園（架空）",
            "しゅうろうたいけん みどりのうえん",
            "有限会社 みどり農園（架空）",
            ("shuro",),
            "野菜の収穫・袋詰めの体験。短時間から始められます。",
            ("MO", "TH"),
            "",
            ("09:00", "12:00"),
            "ひきこもりや離職が長い方、働く練習をしたい方",
            "交通費支給なし",
            "相談支援員と一緒に見学してから始めます。",
            "屋外作業あり。トイレは洋式。",
        ),
        Entry(
            "就労体験 まちのパン工房（架空）",
            "しゅうろうたいけん まちのぱんこうぼう",
            "まちのパン工房（架空）",
            ("shuro",),
            "パンの包装・店頭の品出しの体験。",
            ("TU", "WE", "TH"),
            "",
            ("13:00", "15:00"),
            "接客が苦手でも裏方から始められます",
            "",
            "見学の上、週1回から。",
        ),
        Entry(
            "就労体験 リサイクルセンター（架空）",
            "しゅうろうたいけん りさいくるせんたー",
            "株式会社 エコ資源（架空）",
            ("shuro",),
            "古紙・衣類の仕分け作業の体験。",
            ("MO", "WE", "FR"),
            "",
            ("09:30", "11:30"),
            "体を動かす作業がしたい方",
        ),
        Entry(
            "居住支援 すまいるネット（架空）",
            "きょじゅうしえん すまいるねっと",
            "居住支援法人 すまいるネット（架空）",
            ("sumai", "mimamori"),
            "住まい探しの同行、保証人がいない方の相談、入居後の見守り。",
            ("MO", "TU", "WE", "TH", "FR"),
            "",
            ("09:00", "17:00"),
            "住まいに困っている方、高齢・障害のある方",
            "相談無料",
            "電話または窓口で予約してください。",
        ),
        Entry(
            "認知症カフェ やすらぎ（架空）",
            "にんちしょうかふぇ やすらぎ",
            "社会福祉法人 やすらぎ会（架空）",
            ("ibasho", "sodan"),
            "認知症の方と家族、地域の人が気軽に集まるカフェ。",
            ("SA",),
            "2",
            ("13:30", "15:30"),
            "どなたでも",
            "100円（飲み物代）",
            "",
            "車いす可",
        ),
        Entry(
            "ひきこもり家族会 つむぎ（架空）",
            "ひきこもりかぞくかい つむぎ",
            "家族会 つむぎ（架空）",
            ("sodan",),
            "ひきこもりの家族をもつ方が語り合う会。",
            ("SU",),
            "3",
            ("14:00", "16:00"),
            "ひきこもりの家族がいる方",
            "無料",
            "初回は事前に連絡をお願いします。",
        ),
        Entry(
            "学習支援教室 まなびば（架空）",
            "がくしゅうしえんきょうしつ まなびば",
            "NPO法人 まなびば（架空）",
            ("manabi", "kodomo", "ibasho"),
            "中学生・高校生の学習支援と居場所。",
            ("TU", "TH"),
            "",
            ("18:00", "20:00"),
            "中学生・高校生",
            "無料",
            "学校または相談窓口から紹介します。",
        ),
        Entry(
            "ボランティアセンター（架空）",
            "ぼらんてぃあせんたー",
            "社会福祉協議会（架空）",
            ("volunteer",),
            "ボランティアをしたい人と、してほしい人をつなぎます。",
            ("MO", "TU", "WE", "TH", "FR"),
            "",
            ("08:30", "17:15"),
            "どなたでも",
            "",
            "窓口で登録します。",
        ),
        Entry(
            "配食・見守りサービス（架空）",
            "はいしょく みまもりさーびす",
            "社会福祉協議会（架空）",
            ("shoku", "mimamori"),
            "お弁当を届けながら安否を確認します。",
            ("MO", "WE", "FR"),
            "",
            ("11:00", "13:00"),
            "ひとり暮らしの高齢者など",
            "1食400円",
            "地域包括支援センターに相談してください。",
        ),
        Entry(
            "若者の居場所 ふらっと（架空）",
            "わかもののいばしょ ふらっと",
            "NPO法人 ひだまりの会（架空）",
            ("ibasho", "kodomo"),
            "15〜39歳の若者がふらっと立ち寄れる場所。ゲーム・手芸・おしゃべり。",
            ("WE", "SA"),
            "",
            ("13:00", "18:00"),
            "15〜39歳",
            "無料",
            "予約不要",
        ),
        Entry(
            "傾聴ボランティア こころ（架空）",
            "けいちょうぼらんてぃあ こころ",
            "傾聴の会 こころ（架空）",
            ("volunteer", "mimamori", "sodan"),
            "自宅や施設を訪ね、話を聴きます。メンバー募集中。",
            ("TH",),
            "",
            ("10:00", "12:00"),
            "話し相手がほしい方、ボランティアをしたい方",
            "無料",
        ),
        Entry(
            f"{town} 生涯学習講座（架空）",
            "しょうがいがくしゅうこうざ",
            "社会福祉協議会（架空）",
            ("manabi", "ibasho"),
            "パソコン、書道、体操などの講座。",
            ("FR",),
            "1",
            ("10:00", "12:00"),
            "どなたでも",
            "教材費実費",
        ),
    ]


def _area_entries(areas: list[Area]) -> list[Entry]:
    """A サロン in every area and a 見守り group in every other one."""
    out = []
    for i, area in enumerate(areas):
        name = area.name.replace("（", "").replace("）", "")[:12]
        day = ("MO", "TU", "WE", "TH", "FR")[i % 5]
        out.append(
            Entry(
                f"{name} ふれあいサロン（架空）",
                "ふれあいさろん",
                f"{name} 地区社協（架空）",
                ("ibasho",),
                "体操、おしゃべり、お茶の時間。歩いて来られる地域の集いの場です。",
                (day,),
                str(i % 4 + 1),
                ("10:00", "12:00"),
                "地域の方ならどなたでも",
                "100円（お茶代）",
                "会場に直接お越しください。",
                "公民館1階・段差あり（介助します）",
                area.key,
            )
        )
        if i % 2 == 0:
            out.append(
                Entry(
                    f"{name} 見守り隊（架空）",
                    "みまもりたい",
                    f"{name} 地区社協（架空）",
                    ("mimamori", "volunteer"),
                    "ひとり暮らしの方を訪ね、声をかけます。隊員募集中。",
                    (),
                    "",
                    None,
                    "見守りを希望する方、活動したい方",
                    "無料",
                    "民生委員または地区社協に連絡してください。",
                    "",
                    area.key,
                )
            )
    return out


async def _taxonomy(session: AsyncSession) -> dict[str, Any]:
    taxonomy = (
        await session.execute(select(Taxonomy).where(Taxonomy.name == TAXONOMY_NAME))
    ).scalar_one_or_none()
    if taxonomy is None:
        taxonomy = Taxonomy(
            name=TAXONOMY_NAME,
            description="重層的支援の社会資源を分ける小さな分類（デモ）",
            version="1",
        )
        session.add(taxonomy)
        await session.flush()
        await do_audit(
            session, ACTOR, "registry.taxonomy.create", f"registry_taxonomy:{taxonomy.id}"
        )
    existing = {
        t.code: t
        for t in (
            await session.execute(
                select(TaxonomyTerm).where(TaxonomyTerm.taxonomy_id == taxonomy.id)
            )
        ).scalars()
    }
    for code, name, description in TERMS:
        if code not in existing:
            term = TaxonomyTerm(
                taxonomy_id=taxonomy.id,
                code=code,
                name=name,
                description=description,
                language="ja",
            )
            session.add(term)
            existing[code] = term
    await session.flush()
    return existing


async def seed_registry(db: Database, tenant: Any, config: TenantConfig) -> list[str]:
    """Seed the demo registry of ``tenant`` (a Tenant row) when entries are missing."""
    rng = random.Random(f"registry:{tenant.slug}")
    today = today_jst()
    top = [a for a in config.areas if not a.parent]
    entries = _town_entries(tenant.name) + _area_entries(config.areas)
    lines: list[str] = []
    async with db.session(tenant.id) as s:
        terms = await _taxonomy(s)
        have = set((await s.execute(select(Service.name))).scalars())
        orgs = {o.name: o.id for o in (await s.execute(select(Organization))).scalars()}
        created = 0
        for i, e in enumerate(entries):
            if e.name in have:
                continue
            area = e.area or (top[i % len(top)].key if top else None)
            reviewed: date | None = today - timedelta(days=rng.randint(10, 330))
            if i % 9 == 4:
                reviewed = today - timedelta(days=rng.randint(400, 700))  # review due
            elif i % 13 == 7:
                reviewed = None  # never reviewed
            district = next((a.name for a in config.areas if a.key == area), "")
            data = ServiceInput(
                name=e.name,
                organization_id=orgs.get(e.org),
                organization_name=e.org,
                name_kana=e.kana,
                description=e.description,
                area_key=area,
                term_ids=[terms[c].id for c in e.terms if c in terms],
                eligibility_description=e.eligibility or None,
                fees_description=e.fees or None,
                application_process=e.how or None,
                public=i % 3 == 0,
                reviewed_on=reviewed,
                location_name=f"{district}交流センター（架空）" if district else None,
                postal_code=f"{POSTAL.get(tenant.slug, '000-00')}{i % 90 + 10:02d}",
                state_province=tenant.prefecture,
                city=tenant.name,
                address_1=f"{district}{i % 5 + 1}丁目{i + 1}番（架空）",
                accessibility=e.accessibility or None,
                contact_name="運営担当（架空）",
                days=list(e.days),
                nth=e.nth,
                opens_at=e.hours[0] if e.hours else None,
                closes_at=e.hours[1] if e.hours else None,
                schedule_description="祝日・年末年始は休み" if e.hours else "随時",
            )
            service = await do_create_service(s, ACTOR, data)
            orgs.setdefault(e.org, service.organization_id)
            created += 1
        if created:
            lines.append(f"registry {tenant.slug}: {created} services")
    return lines
