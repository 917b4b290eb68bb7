"""A fictitious caseload in the style a town keeps it (the national forms' columns).

EVERY PERSON HERE IS INVENTED: names end in （架空）, addresses say 架空町, telephone
numbers are in the 090-0000 block no one is given. Used for ``docs/samples/`` (the demo
file a fresh tenant imports), the tests and the 50,000-row benchmark.

    python -m kasane.core.caseload.sample docs/samples/caseload-sample.xlsx [ROWS]
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

HEADERS = ["氏名", "ふりがな", "生年月日", "性別", "住所", "電話", "相談日", "相談窓口",
           "相談経路", "主訴", "相談内容", "段階", "主担当機関", "経過"]  # fmt: skip
# The counters and agency every new tenant has (the national defaults), in Japanese.
COUNTERS = ["地域包括支援センター", "基幹相談支援センター", "こども家庭センター",
            "自立相談支援機関", "総合相談窓口"]  # fmt: skip
AGENCY = "福祉担当課"
CHANNELS = ["来所", "電話", "訪問", "関係機関から", "住民から"]
TOPICS = ["債務", "住まい", "収入・生活費", "介護", "ひきこもり・不登校", "健康・障害", "その他"]
STAGES = ["受付", "インテーク", "アセスメント", "支援実施", "モニタリング", "終結"]
FAMILY = [("山田", "やまだ"), ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"),
          ("田中", "たなか"), ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("中村", "なかむら"),
          ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"),
          ("松本", "まつもと")]  # fmt: skip
GIVEN = [("太郎", "たろう", "男"), ("花子", "はなこ", "女"), ("一郎", "いちろう", "男"),
         ("美咲", "みさき", "女"), ("健太", "けんた", "男"), ("由美", "ゆみ", "女"),
         ("翔", "しょう", "男"), ("陽子", "ようこ", "女"), ("誠", "まこと", "男"),
         ("千尋", "ちひろ", "女")]  # fmt: skip
STORIES = [
    "家賃の滞納が続き、住まいを失う不安がある（架空の事例）。",
    "親の介護で仕事を続けられなくなった（架空の事例）。",
    "子どもが半年学校に行っていない（架空の事例）。",
    "借入の返済が難しく、生活費が足りない（架空の事例）。",
    "退院後の暮らしに不安がある（架空の事例）。",
]
NOTES = [
    "初回面談。状況を聞き取った。",
    "関係機関と情報共有した。",
    "自宅を訪問し、生活状況を確認した。",
    "",
]


def sample_rows(count: int, *, seed: int = 19, today: date | None = None) -> list[list[object]]:
    """``count`` rows of fictitious cases (dates as ``date``, as Excel keeps them)."""
    rng = random.Random(seed)
    today = today or date(2026, 11, 30)
    rows: list[list[object]] = []
    for n in range(count):
        family, family_kana = rng.choice(FAMILY)
        given, given_kana, sex = rng.choice(GIVEN)
        born = date(1935, 1, 1) + timedelta(days=rng.randrange(0, 365 * 70))
        received = today - timedelta(days=rng.randrange(0, 365 * 3))
        rows.append([
            f"{family} {given}{n + 1}（架空）", f"{family_kana} {given_kana}", born, sex,
            f"架空町{rng.randint(1, 9)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
            f"090-0000-{n % 10000:04d}", received, rng.choice(COUNTERS), rng.choice(CHANNELS),
            rng.choice(TOPICS), rng.choice(STORIES), rng.choice(STAGES), AGENCY,
            rng.choice(NOTES),
        ])  # fmt: skip
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """An .xlsx with one sheet (相談記録) as a town would keep it: header, then rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("相談記録")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path: Path, rows: list[list[object]]) -> None:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows([[v.isoformat() if isinstance(v, date) else v for v in r] for r in rows])


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    (write_csv if target.suffix == ".csv" else write_xlsx)(target, sample_rows(count))
    print(f"wrote {count} fictitious rows to {target}")
