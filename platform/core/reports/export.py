"""The report as files: ``.xlsx`` for the annual report, CSV (UTF-8 with a BOM) for Excel.

Both hold counts and labels only — never a name or a record. The workbook has a summary
sheet (概要), one sheet per section with each indicator's breakdowns by month (令和 labels,
numbers as numbers) and a definitions sheet (定義) that says, for every indicator, what is
counted and whether the national 実績報告 wording of the item is known. Japanese headers,
whatever the language of the page: the files go into the town's own reports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kasane.core.i18n import current_locale
from kasane.core.reports.counting import Figure
from kasane.core.reports.indicator import SECTIONS
from kasane.core.reports.periods import era_date, month_label
from kasane.core.reports.report import Report

BOLD = Font(bold=True)
NOTE = (
    "件数はすべて Kasane の記録から数えた値です（手で数えた値ではありません）。"
    "氏名などの個人を特定する情報は含みません。"
)
SHEET_NAMES = {
    "consultations": "相談受付",
    "referrals": "つなぎ",
    "collaboration": "多機関協働",
    "meetings": "会議",
    "outreach": "アウトリーチ",
    "participation": "参加支援",
    "community": "地域づくり",
    "gaps": "社会資源",
    "local": "独自指標",
}
CSV_HEADER = ["区分", "指標キー", "指標名", "単位", "期間", "内訳の種類", "内訳", "件数", "目標"]


def _rate(numerator: int, denominator: int | None) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


class _Locale:
    """Japanese labels while a file is written; the caller's language comes back after."""

    def __init__(self, locale: str) -> None:
        self.locale, self.token = locale, None

    def __enter__(self) -> None:
        self.token = current_locale.set(self.locale)  # type: ignore[assignment]

    def __exit__(self, *_exc: object) -> None:
        current_locale.reset(self.token)  # type: ignore[arg-type]


def _title(report: Report) -> list[str]:
    return [
        f"{report.tenant.name} 実績報告 {report.period.label('ja')}",
        f"作成日 {era_date(report.today)}（{report.today.isoformat()}）。{NOTE}",
    ]


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _summary(ws: Worksheet, report: Report) -> None:
    for line in _title(report):
        ws.append([line])
    ws["A1"].font = BOLD
    ws.append([])
    fy = report.period.kind == "fy"
    header = ["区分", "指標", "単位", "実績"]
    header += ["目標", "達成率", "実施計画での表現"] if fy else ["年度累計（期間末まで）"]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for _section, name, figures in report.sections():
        for f in figures:
            row: list[object] = [
                name,
                f.indicator.title("ja"),
                f.indicator.unit_text("ja"),
                f.total,
            ]
            if fy:
                progress = report.progress(f)
                target = progress.target if progress else None
                row += [target, _rate(f.total, target), progress.wording if progress else ""]
            else:
                row.append(report.year_to_date.get(f.key))
            ws.append(row)
            if fy and row[5] is not None:
                ws.cell(ws.max_row, 6).number_format = "0.0%"
    _widths(ws, [26, 40, 8, 10, 10, 10, 40])


def _blocks(report: Report, figure: Figure) -> Iterator[list[object]]:
    """One indicator's rows: name, header, total by month, each breakdown by month."""
    months = report.period.month_keys()
    by_month = len(months) > 1
    yield [figure.indicator.title("ja"), f"（単位：{figure.indicator.unit_text('ja')}）"]
    header: list[object] = ["内訳の種類", "内訳"]
    header += [month_label(m) for m in months] if by_month else []
    yield [*header, "期間計"]
    per_month = figure.by("month") if by_month else {}
    yield ["合計", "", *(per_month.get(m, 0) for m in months if by_month), figure.total]
    for d in figure.indicator.dimensions:
        if d == "month":
            continue
        cross = figure.tables.get((d, "month"), {})
        for row in report.rows(figure, d):
            cells = [cross.get((row.value, m), 0) for m in months] if by_month else []
            yield [report.dimension_name(d), row.label, *cells, row.count]
    yield []


def _section(ws: Worksheet, report: Report, figures: list[Figure]) -> None:
    for line in _title(report):
        ws.append([line])
    ws["A1"].font = BOLD
    ws.append([])
    for figure in figures:
        for i, row in enumerate(_blocks(report, figure)):
            ws.append(row)
            if i < 2:
                for cell in ws[ws.max_row]:
                    cell.font = BOLD
    _widths(ws, [22, 30, *([12] * (len(report.period.month_keys()) + 1))])


def _definitions(ws: Worksheet, report: Report) -> None:
    ws.append(
        ["指標の定義（国の実績報告様式の項目名が公開資料で確認できないものは、その旨を記載）"]
    )
    ws["A1"].font = BOLD
    ws.append([])
    ws.append(
        [
            "指標キー",
            "区分",
            "指標名",
            "Indicator",
            "単位",
            "数え方（定義）",
            "Definition",
            "内訳",
            "国の実績報告様式との対応",
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for f in report.figures:
        ind = f.indicator
        ws.append(
            [
                ind.key,
                SECTIONS[ind.section][0],
                ind.name[0],
                ind.name[1],
                ind.unit_text("ja"),
                ind.definition[0],
                ind.definition[1],
                "・".join(report.dimension_name(d) for d in ind.dimensions),
                ind.national[0],
            ]
        )
    _widths(ws, [28, 22, 30, 30, 8, 60, 60, 30, 50])
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def report_xlsx(report: Report) -> bytes:
    """The workbook: 概要, one sheet per section, 定義."""
    with _Locale("ja"):
        wb = Workbook()
        summary = wb.active
        assert summary is not None
        summary.title = "概要"
        _summary(summary, report)
        for section, _name, figures in report.sections():
            _section(wb.create_sheet(SHEET_NAMES[section]), report, figures)
        _definitions(wb.create_sheet("定義"), report)
        buf = io.BytesIO()
        wb.save(buf)
    return buf.getvalue()


def report_csv(report: Report) -> bytes:
    """One long table (a row per total and per breakdown value), UTF-8 with a BOM so that
    Excel opens it in Japanese."""
    with _Locale("ja"):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        label = report.period.label("ja")
        for _section, section_name, figures in report.sections():
            for f in figures:
                ind = f.indicator
                base = [section_name, ind.key, ind.title("ja"), ind.unit_text("ja"), label]
                progress = report.progress(f)
                target = progress.target if progress and progress.target is not None else ""
                writer.writerow([*base, "合計", "", f.total, target])
                for d in ind.dimensions:
                    for row in report.rows(f, d):
                        writer.writerow([*base, report.dimension_name(d), row.label, row.count, ""])
    return buf.getvalue().encode("utf-8-sig")


def filename(report: Report, extension: str) -> str:
    """``kasane-usuki-fy2026.xlsx``: ascii, so every browser keeps it."""
    return f"kasane-{report.tenant.slug}-{report.period.slug()}.{extension}"
