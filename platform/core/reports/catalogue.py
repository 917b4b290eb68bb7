"""The indicator catalogue: every figure a town reports, what it counts and on which date.

One catalogue for the pages, the exports, the targets (実施計画, 社会福祉法106条の5) and the
central comparison job: an indicator (:class:`~kasane.core.reports.indicator.Indicator`) is a
key, a Japanese and an English name, a definition written for staff, the dimensions it
breaks down by, and how its facts add up (distinct units — people, cases, places — or a
sum, e.g. 延べ参加者数). The counting lives in :mod:`kasane.core.reports.counting`; plugins
add local indicators through the ``kasane_local_indicators`` hook
(:mod:`kasane.core.reports.local`).
"""

from __future__ import annotations

from kasane.core.reports.indicator import NATIONAL_PLAN, NATIONAL_UNKNOWN, Bi, Indicator

CONSULT_DIMS = ("field", "channel", "counter", "area", "month")
CASE_DIMS = ("collaboration", "field", "counter", "area", "month")
REFERRAL_DIMS = ("from_agency", "to_agency", "month")
MEETING_DIMS = ("legal_basis", "meeting_type", "month")
NEW_RULE = (
    "新規は、その人の年度内で最初の相談（どの窓口かを問いません）、継続は2回目以降の相談です。"
    "前年度に相談があった人でも、新しい年度の最初の相談は新規です。",
    "New is the person's first consultation in the fiscal year, at any of the town's "
    "counters; continued is every later one. A person seen last year is new again at their "
    "first consultation of the new year.",
)


def _with_rule(ja: str, en: str) -> Bi:
    return (f"{ja}{NEW_RULE[0]}", f"{en} {NEW_RULE[1]}")


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "consultations.total",
        "consultations",
        ("相談受付件数（延べ）", "Consultations received (all)"),
        _with_rule(
            "期間中に受け付けた相談（相談受付票の記録）をすべて、受付日で数えます。同じ人の"
            "2回目以降の相談も1件ずつ数えます。分野は受け付けた窓口の分野（高齢・障害・子ども・"
            "生活困窮、総合窓口などはその他）、圏域は本人の圏域（なければ窓口の圏域）です。",
            "Every consultation record received in the period, on its date received; a "
            "person's later consultations count too. The field is the counter's (elderly, "
            "disability, children, poverty; general counters and others are 'other'); the "
            "area is the person's, else the counter's.",
        ),
        "records",
        ("kind", *CONSULT_DIMS),
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "consultations.new",
        "consultations",
        ("新規相談受付件数", "New consultations"),
        _with_rule(
            "期間中に受け付けた相談のうち、新規のものを受付日で数えます。",
            "The new consultations received in the period, on their date received.",
        ),
        "records",
        CONSULT_DIMS,
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "consultations.continued",
        "consultations",
        ("継続相談件数", "Continued consultations"),
        _with_rule(
            "期間中に受け付けた相談のうち、継続のものを受付日で数えます。",
            "The continued consultations received in the period, on their date received.",
        ),
        "records",
        CONSULT_DIMS,
    ),
    Indicator(
        "consultations.persons",
        "consultations",
        ("相談実人数", "People who consulted"),
        (
            "期間中に1回以上相談を受け付けた人の数です。何回相談しても1人と数えます。内訳"
            "（窓口・分野・月など）ではその区分ごとに1人と数えるため、二つの窓口で相談した人は"
            "両方の窓口に入り、内訳の合計が全体より多くなることがあります。",
            "People with at least one consultation received in the period, each counted once "
            "however often they came. In a breakdown (counter, field, month …) a person counts "
            "once in each row they appear in, so someone seen at two counters is in both and "
            "the rows can add up to more than the total.",
        ),
        "persons",
        CONSULT_DIMS,
    ),
    Indicator(
        "referrals.sent",
        "referrals",
        ("つなぎ件数（送付）", "Referrals sent"),
        (
            "期間中に関係機関へ送ったつなぎ（紹介）を送付日で数えます。",
            "Referrals sent to another agency in the period, on the date sent.",
        ),
        "records",
        REFERRAL_DIMS,
    ),
    Indicator(
        "referrals.accepted",
        "referrals",
        ("つなぎの受入れ件数", "Referrals accepted"),
        (
            "期間中に送ったつなぎのうち、受け手の機関が受け入れたもの（結果の記録まで進んだもの"
            "を含む）を、送付日で数えます。回答は期間の後でもかまいません。",
            "Of the referrals sent in the period, those the receiving agency accepted "
            "(including those whose outcome is recorded), counted on the date sent; the answer "
            "may come after the period.",
        ),
        "records",
        REFERRAL_DIMS,
    ),
    Indicator(
        "referrals.declined",
        "referrals",
        ("つなぎの受入れ不可件数", "Referrals declined"),
        (
            "期間中に送ったつなぎのうち、受け手の機関が理由を付けて受け入れなかったものを、"
            "送付日で数えます。",
            "Of the referrals sent in the period, those the receiving agency declined (with its "
            "reason), counted on the date sent.",
        ),
        "records",
        REFERRAL_DIMS,
    ),
    Indicator(
        "referrals.overdue",
        "referrals",
        ("受領確認が期限を過ぎたつなぎ", "Referrals acknowledged late"),
        (
            "期間中に送ったつなぎのうち、受領確認の期限（送付から3日）を過ぎてから確認された"
            "もの、または期限を過ぎても確認されていないものを、送付日で数えます。",
            "Of the referrals sent in the period, those acknowledged after their due date "
            "(three days after sending) or still unacknowledged past it, on the date sent.",
        ),
        "records",
        REFERRAL_DIMS,
    ),
    Indicator(
        "collaboration.taken_in",
        "collaboration",
        ("多機関協働の受入件数", "Cases taken into multi-agency collaboration"),
        (
            "期間中に多機関協働を始めた事例を、開始日で数えます。一度終えて再び始めた事例は"
            "もう1件と数えます。",
            "Cases whose multi-agency collaboration started in the period, on the start date; "
            "a case taken in again after it ended counts again.",
        ),
        "records",
        CASE_DIMS,
        national=NATIONAL_UNKNOWN,
    ),
    Indicator(
        "collaboration.plans",
        "collaboration",
        ("プラン作成件数", "Support plans made"),
        (
            "期間中に初めて作成された支援プラン（第1版）を作成日で数えます。見直し（第2版以降）"
            "は数えません。多機関協働の内訳は、作成日に多機関協働中だったかどうかです。",
            "First support plans (version 1) made in the period, on the day made; revisions "
            "are not counted. The collaboration breakdown says whether multi-agency "
            "collaboration was under way that day.",
        ),
        "records",
        CASE_DIMS,
    ),
    Indicator(
        "collaboration.decisions",
        "collaboration",
        ("支援決定件数", "Support decisions"),
        (
            "期間中の支援決定を決定日で数えます。会議での決定と、記録された例外による決定の"
            "両方を含みます。",
            "Support decisions taken in the period, on the decision date: at a meeting or as "
            "a recorded exception.",
        ),
        "records",
        ("decision_source", "meeting_type", "month"),
    ),
    Indicator(
        "collaboration.closed",
        "collaboration",
        ("終結件数", "Cases closed"),
        (
            "期間中に終結した事例を、終結の記録日で数えます。",
            "Cases closed in the period, on the day the closure was recorded.",
        ),
        "records",
        CASE_DIMS,
    ),
    Indicator(
        "collaboration.suspended",
        "collaboration",
        ("中断件数", "Cases suspended"),
        (
            "期間中に中断した事例を、中断の記録日で数えます。同じ事例が2回中断すれば2件です。",
            "Suspensions recorded in the period, on their day; a case suspended twice counts "
            "twice.",
        ),
        "records",
        CASE_DIMS,
    ),
    Indicator(
        "collaboration.resumed",
        "collaboration",
        ("再開件数", "Cases resumed"),
        (
            "期間中に中断から支援を再開した事例を、再開の記録日で数えます（中断から終結した"
            "ものは含みません）。",
            "Cases taken up again from suspension in the period, on the day recorded (a "
            "suspended case closed without resuming is not counted).",
        ),
        "records",
        CASE_DIMS,
    ),
    Indicator(
        "meetings.held",
        "meetings",
        ("会議の開催回数", "Meetings held"),
        (
            "期間中に開催した会議（出席か議事録が記録されたもの）を開催日で数えます。中止した"
            "会議は数えません。支援会議（社会福祉法106条の6）と重層的支援会議（本人同意）を"
            "内訳で分けます。",
            "Meetings held in the period (attendance or minutes recorded), on the day held; "
            "cancelled ones are not counted. Support meetings (Art. 106-6) and multi-layered "
            "support meetings (consent) are told apart in the breakdown.",
        ),
        "times",
        MEETING_DIMS,
    ),
    Indicator(
        "meetings.items",
        "meetings",
        ("検討した事例数（延べ）", "Cases discussed (all)"),
        (
            "期間中に開催した会議の議題に載った事例（氏名のないアウトリーチの記録を含む）を、"
            "会議ごとに数えます。同じ事例を3回の会議で検討すれば3件です。",
            "Cases (and unnamed outreach records) on the agenda of the meetings held in the "
            "period, once per meeting: a case discussed at three meetings counts three times.",
        ),
        "records",
        MEETING_DIMS,
    ),
    Indicator(
        "meetings.cases",
        "meetings",
        ("検討した事例数（実数）", "Cases discussed (distinct)"),
        (
            "期間中に開催した会議で検討した事例（アウトリーチの記録を含む）を、何回検討しても"
            "1件と数えます。",
            "Cases (and outreach records) discussed at meetings held in the period, each once "
            "however often it was discussed.",
        ),
        "records",
        MEETING_DIMS,
    ),
    Indicator(
        "outreach.persons",
        "outreach",
        ("アウトリーチの対象者数", "People reached out to"),
        (
            "期間中にアウトリーチを続けていた対象者（期間の末日までに始め、初日より前に終えて"
            "いない記録）の数です。本人につながった記録は本人ごとに1人、まだ氏名のない記録は"
            "記録ごとに1人と数えます。月の内訳では、続けていた月ごとに数えます。",
            "People outreach was under way for in the period (records started by its last day "
            "and not closed before its first). A record linked to a person counts that person "
            "once; an unnamed record counts once. By month, a person counts in every month the "
            "outreach went on.",
        ),
        "persons",
        ("agency", "area", "month"),
    ),
    Indicator(
        "outreach.contacts",
        "outreach",
        ("アウトリーチの延べ接触回数", "Outreach contacts"),
        (
            "期間中に記録した接触（訪問・手紙・電話・近隣からの聞き取り・面会）を、接触日で"
            "数えます。",
            "Contacts recorded in the period (visits, letters, calls, talks with neighbours, "
            "meetings in person), on the day of the contact.",
        ),
        "times",
        ("contact_kind", "agency", "area", "month"),
    ),
    Indicator(
        "outreach.linked",
        "outreach",
        ("本人につながった件数", "Outreach records linked to the person"),
        (
            "期間中に、氏名のなかったアウトリーチの記録が本人（相談記録の人）につながった件数を、"
            "つながった日で数えます。",
            "Outreach records linked to a known person in the period, on the day linked.",
        ),
        "records",
        ("agency", "area", "month"),
    ),
    Indicator(
        "participation.persons",
        "participation",
        ("参加支援の対象者数", "People in participation support"),
        (
            "期間中に参加支援のマッチング（提案・開始・定着支援）が続いていた人の数です。"
            "期間の末日までに提案され、初日より前に終わっていないマッチングがある人を1人と"
            "数えます。月の内訳では、続いていた月ごとに数えます。",
            "People with a participation match (proposed, started or in follow-up) under way "
            "in the period: proposed by its last day and not ended before its first. By month, "
            "a person counts in every month a match went on.",
        ),
        "persons",
        ("category", "month"),
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "participation.started",
        "participation",
        ("参加支援の開始件数", "Participation matches started"),
        (
            "期間中に始まったマッチング（本人が参加を始めたもの）を開始日で数えます。",
            "Matches the person started taking part in during the period, on the start date.",
        ),
        "records",
        ("category", "month"),
    ),
    Indicator(
        "participation.retained",
        "participation",
        ("定着件数（開始から3か月）", "Matches kept for three months"),
        (
            "開始から3か月たっても終わっていないマッチングを、3か月たった日で数えます（例：5月"
            "10日開始なら8月10日）。その日がまだ来ていないものは数えません。",
            "Started matches not ended three months after their start, counted on the day "
            "they reach three months (started 10 May: counted on 10 August); not yet reached, "
            "not counted.",
        ),
        "records",
        ("category", "month"),
    ),
    Indicator(
        "participation.hosts",
        "participation",
        ("協力事業者数", "Host organisations"),
        (
            "期間中に参加の受け入れを続けていた事業者・団体の数です（始まっていて、初日より前に"
            "終わっていないマッチングの受け入れ先）。資源台帳の団体は団体ごと、市町村の参加支援"
            "メニューはメニューごとに1と数えます。",
            "Organisations hosting a started match in the period (not ended before its first "
            "day): a registry organisation counts once, a municipal participation menu once.",
        ),
        "hosts",
        ("category", "month"),
        flow=False,
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "community.places",
        "community",
        ("拠点数", "Places active"),
        (
            "期間中に1回以上活動の記録がある拠点（居場所・サロン・子ども食堂など）の数です。",
            "Places (居場所, サロン, 子ども食堂 …) with at least one activity recorded in the "
            "period.",
        ),
        "places",
        ("area", "place_kind", "month"),
        flow=False,
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "community.participants",
        "community",
        ("参加者数（延べ）", "Participants (all visits)"),
        (
            "期間中の活動ごとに記録した参加者数（年齢層別）を合計します。同じ人が毎回来れば"
            "毎回数えます。",
            "The participants recorded for each activity in the period (by age band), added "
            "up: someone who comes every time counts every time.",
        ),
        "persons",
        ("age_band", "area", "place_kind", "month"),
        adds="sum",
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "community.agencies",
        "community",
        ("参加機関数", "Agencies taking part"),
        (
            "期間中の活動に参加した関係機関の数です。何回参加しても1機関と数えます。",
            "Agencies that took part in the period's activities, each once.",
        ),
        "agencies",
        ("area", "month"),
        flow=False,
        national=NATIONAL_PLAN,
    ),
    Indicator(
        "gaps.found",
        "gaps",
        ("把握した社会資源の不足", "Resource gaps found"),
        (
            "期間中に記録された社会資源の不足（会議の決定、うまくいかなかったマッチング、支援"
            "プランで記録されたもの）を記録日で数えます。",
            "Resource gaps recorded in the period (by meeting decisions, failed matches and "
            "support plans), on the day recorded.",
        ),
        "records",
        ("gap_category", "gap_source", "area", "month"),
    ),
    Indicator(
        "gaps.resolved",
        "gaps",
        ("解消した社会資源の不足", "Resource gaps resolved"),
        (
            "期間中に解消された社会資源の不足を、解消日で数えます。",
            "Resource gaps resolved in the period, on the day resolved.",
        ),
        "records",
        ("gap_category", "area", "month"),
    ),
)

CATALOGUE: dict[str, Indicator] = {i.key: i for i in INDICATORS}


def in_section(section: str, indicators: tuple[Indicator, ...] = INDICATORS) -> list[Indicator]:
    return [i for i in indicators if i.section == section]
