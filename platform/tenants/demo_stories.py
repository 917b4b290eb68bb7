"""The invented households behind the demo caseload (see :mod:`.demo_caseload`).

ALL FICTITIOUS: family names are made up from local imagery, every name gets （架空）, and
the stories are composites of the patterns the 重層的支援体制整備事業 exists for — 8050,
ダブルケア, ヤングケアラー, 高齢単身, ひきこもり — written for the demo, about nobody.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A household member relative to the head (the first member consults)."""

    relation: str
    age: int
    sex: str
    carer: bool = False
    cared: bool = False
    withdrawn: bool = False


@dataclass(frozen=True)
class Story:
    key: str
    field: str  # the field of the counter the consultation comes to
    channel: str
    visitor: str  # the visitor's relation when someone else brings the consultation
    categories: tuple[str, ...]  # the first is the main topic
    members: tuple[Member, ...]
    narrative: str
    issues: tuple[str, ...]
    unmet: tuple[str, ...]
    partners: tuple[str, ...]  # fields of the agencies that join the case
    rows: tuple[tuple[str, str, str, str], ...]  # issue, goal, action, agency field
    wishes: str
    multi: bool = True  # goes to 多機関協働


EIGHTY_FIFTY = Story(
    "8050",
    "elderly",
    "resident",
    "民生委員",
    ("hikikomori", "care", "income"),
    (Member("head", 83, "female"), Member("child", 54, "male", withdrawn=True)),
    "民生委員から：高齢の母と50代の長男の二人暮らし。長男は長く自宅にこもっている（架空の事例）。",
    ("withdrawal", "care_burden", "income", "isolation"),
    ("ibasho", "work_trial"),
    ("poverty", "health"),
    (
        (
            "母の介護サービスが足りない",
            "在宅生活を続けられる",
            "要介護認定と介護サービスの調整",
            "elderly",
        ),
        (
            "長男が家族以外と話す機会がない",
            "長男が支援者と会える",
            "定期訪問と居場所の情報提供",
            "general",
        ),
        ("年金だけで家計が苦しい", "家計の見通しが立つ", "家計改善支援", "poverty"),
    ),
    "この家で二人で暮らし続けたい。",
)
DOUBLE_CARE = Story(
    "double_care",
    "elderly",
    "visit_counter",
    "",
    ("care", "childcare", "income"),
    (
        Member("head", 43, "female"),
        Member("spouse", 45, "male", carer=True),
        Member("child", 6, "female"),
        Member("parent", 80, "female", cared=True),
    ),
    "母の介護と子育てが重なり、夫婦とも仕事を休みがち（架空の事例）。",
    ("care_burden", "child_rearing", "work"),
    ("childcare", "care_service"),
    ("children",),
    (
        ("母の日中の見守り", "日中を安心して過ごせる", "通所介護の利用調整", "elderly"),
        ("子の預け先がない", "急な用事に預けられる", "一時預かりの利用", "children"),
        ("夫婦の疲れがたまっている", "休息の時間をもてる", "月1回の面談", "general"),
    ),
    "仕事を続けながら母の介護と子育てをしたい。",
)
YOUNG_CARER = Story(
    "young_carer",
    "children",
    "agency",
    "学校（担任）",
    ("family", "care", "hikikomori"),
    (
        Member("head", 46, "male"),
        Member("spouse", 44, "female", cared=True),
        Member("child", 16, "female", carer=True),
        Member("child", 9, "male"),
    ),
    "高校から：長女が病気の母の世話ときょうだいの世話で欠席が続く（架空の事例）。",
    ("care_burden", "school", "health"),
    ("care_service", "ibasho"),
    ("health", "disability"),
    (
        ("長女が家事と母の世話を担っている", "長女が学校に通える", "家事援助の導入", "disability"),
        ("母の療養", "通院が続けられる", "保健師の訪問", "health"),
        (
            "長女が相談できる場がない",
            "安心して話せる相手がいる",
            "学習支援教室への参加",
            "children",
        ),
    ),
    "長女には学校に通ってほしい。",
)
ELDERLY_SINGLE = Story(
    "elderly_single",
    "elderly",
    "phone",
    "",
    ("health_disability", "community", "care"),
    (Member("head", 81, "male"),),
    "一人暮らし。最近もの忘れが増え、買い物に困っている（架空の事例）。",
    ("dementia", "isolation", "daily_life"),
    ("watch", "transport"),
    ("health",),
    (
        ("もの忘れが増えている", "受診して診断を受ける", "もの忘れ外来への同行", "health"),
        ("買い物と見守り", "自宅で暮らし続けられる", "見守りと配食の調整", "elderly"),
    ),
    "できるだけ自宅で暮らしたい。",
    multi=False,
)
HIKIKOMORI = Story(
    "hikikomori",
    "general",
    "visit_counter",
    "",
    ("hikikomori", "family", "job_search"),
    (
        Member("head", 64, "female"),
        Member("spouse", 67, "male"),
        Member("child", 32, "male", withdrawn=True),
    ),
    "長男が大学中退後10年ほど自宅から出ない。親の先行きが不安（架空の事例）。",
    ("withdrawal", "mental", "work"),
    ("ibasho", "work_trial"),
    ("disability", "health"),
    (
        ("長男が外に出るきっかけがない", "週1回外出できる", "居場所への同行", "disability"),
        ("両親の不安", "相談先がわかる", "家族教室の案内と面談", "general"),
    ),
    "息子が自分の生活を考えられるようになってほしい。",
)
POVERTY = Story(
    "poverty",
    "poverty",
    "visit_counter",
    "",
    ("income", "debt", "job_search"),
    (Member("head", 47, "male"),),
    "失職して家賃を滞納している。借入れもある（架空の事例）。",
    ("income", "debt", "work", "housing"),
    ("housing",),
    ("general",),
    (
        ("家賃の滞納", "住まいを失わない", "住居確保給付金の申請", "poverty"),
        ("借入れの返済", "返済計画が立つ", "法律相談への同行", "poverty"),
        ("仕事がない", "就労を再開する", "就労体験から始める", "poverty"),
    ),
    "仕事をして家賃を払えるようになりたい。",
    multi=False,
)
DISABILITY = Story(
    "disability",
    "disability",
    "agency",
    "相談支援事業所",
    ("health_disability", "family", "income"),
    (Member("head", 29, "female"), Member("parent", 62, "female")),
    "障害のある娘と母の二人暮らし。母の体調が悪く、今後が心配（架空の事例）。",
    ("disability", "care_burden", "daily_life"),
    ("ibasho",),
    ("elderly",),
    (
        ("日中の居場所がない", "日中活動を続ける", "就労継続支援の見学", "disability"),
        ("母が倒れたときの備え", "緊急時の連絡先が決まる", "関係機関で役割を確認", "general"),
    ),
    "母と一緒に暮らしながら、自分でできることを増やしたい。",
)
SINGLE_PARENT = Story(
    "single_parent",
    "children",
    "visit_counter",
    "",
    ("childcare", "income", "family"),
    (
        Member("head", 34, "female"),
        Member("child", 9, "female"),
        Member("child", 4, "male"),
    ),
    "ひとり親。仕事と子育ての両立が難しく、家計も苦しい（架空の事例）。",
    ("child_rearing", "income", "work"),
    ("childcare",),
    ("poverty",),
    (
        ("保育の時間が足りない", "仕事の時間に預けられる", "延長保育の調整", "children"),
        ("家計が苦しい", "手当と支出が整理できる", "家計相談", "poverty"),
    ),
    "子どもとの時間を大切にしながら働きたい。",
    multi=False,
)

# Cases per tenant: the household stories, and the stages they reach (shuffled per tenant).
CASE_STORIES: list[Story] = (
    [EIGHTY_FIFTY] * 4
    + [DOUBLE_CARE] * 3
    + [YOUNG_CARER] * 3
    + [ELDERLY_SINGLE] * 5
    + [HIKIKOMORI] * 3
    + [POVERTY] * 4
    + [DISABILITY] * 3
    + [SINGLE_PARENT] * 3
)
STAGE_PLAN: list[str] = (
    ["reception"] * 2
    + ["intake"] * 3
    + ["assessment"] * 3
    + ["plan_draft"] * 3
    + ["decision"] * 2
    + ["support"] * 4
    + ["monitoring"] * 4
    + ["evaluation"] * 2
    + ["closed"] * 3
    + ["suspended"] * 2
)
assert len(CASE_STORIES) == len(STAGE_PLAN)


def consult_only_stories() -> list[tuple[Story, str, str | None]]:
    """Consultations that open no case: (story, outcome, field of the agency referred to)."""
    couple = Story(
        "elderly_couple",
        "general",
        "phone",
        "",
        ("care", "health_disability"),
        (Member("head", 78, "male"), Member("spouse", 76, "female", cared=True)),
        "妻の介護について相談したい（架空の事例）。",
        (),
        (),
        (),
        (),
        "",
        multi=False,
    )
    toddler = Story(
        "young_family",
        "general",
        "visit_counter",
        "",
        ("childcare", "family"),
        (Member("head", 31, "female"), Member("child", 2, "male")),
        "子どもの発達が気になる（架空の事例）。",
        (),
        (),
        (),
        (),
        "",
        multi=False,
    )
    return [
        (couple, "referral", "elderly"),
        (toddler, "referral", "children"),
        (ELDERLY_SINGLE, "info_only", None),
        (POVERTY, "info_only", None),
    ]


GIVEN_NAMES: dict[str, list[tuple[str, str]]] = {
    "male": [
        ("一郎", "いちろう"),
        ("健太", "けんた"),
        ("浩二", "こうじ"),
        ("誠", "まこと"),
        ("翔", "しょう"),
        ("大輔", "だいすけ"),
        ("茂", "しげる"),
        ("悠真", "ゆうま"),
        ("勝", "まさる"),
        ("陽太", "ようた"),
    ],
    "female": [
        ("花子", "はなこ"),
        ("千代", "ちよ"),
        ("由美", "ゆみ"),
        ("さくら", "さくら"),
        ("美咲", "みさき"),
        ("恵子", "けいこ"),
        ("陽菜", "ひな"),
        ("和子", "かずこ"),
        ("真理", "まり"),
        ("結衣", "ゆい"),
    ],
}
FAMILY_NAMES: dict[str, list[tuple[str, str]]] = {
    "usuki": [
        ("石仏", "せきぶつ"),
        ("竹宵", "たけよい"),
        ("臼杵", "うすき"),
        ("野津", "のつ"),
        ("風連", "ふうれん"),
        ("海添", "うみぞえ"),
        ("二王座", "におうざ"),
        ("深江", "ふかえ"),
        ("佐志生", "さしう"),
        ("津留", "つる"),
        ("末広", "すえひろ"),
        ("吉四六", "きっちょむ"),
        ("磨崖", "まがい"),
        ("城南", "じょうなん"),
        ("黄飯", "おうはん"),
        ("醤油蔵", "しょうゆぐら"),
    ],
    "marugame": [
        ("団扇", "うちわ"),
        ("丸亀", "まるがめ"),
        ("京極", "きょうごく"),
        ("塩飽", "しわく"),
        ("本島", "ほんじま"),
        ("飯野", "いいの"),
        ("綾歌", "あやうた"),
        ("骨付", "ほねつき"),
        ("猪熊", "いのくま"),
        ("土器", "どき"),
        ("蓬莱", "ほうらい"),
        ("郡家", "ぐんげ"),
        ("城乾", "じょうけん"),
        ("石垣", "いしがき"),
        ("讃岐富士", "さぬきふじ"),
        ("広島", "ひろしま"),
    ],
    "*": [("架空", "かくう"), ("見本", "みほん"), ("例示", "れいじ"), ("試用", "しよう")],
}
NOTES: dict[str, list[str]] = {
    "interview": [
        "来所時に状況を聞き取り、困りごとを一緒に整理した。",
        "本人と面談。生活のリズムと希望を確認した。",
        "家族と面談し、これまでの経過を聞き取った。",
    ],
    "visit": [
        "自宅を訪問。本人は落ち着いて話ができた。",
        "訪問したが不在。手紙を置いて帰った。",
        "自宅を訪問し、室内の様子と食事の状況を確認した。",
    ],
    "phone": ["電話で近況を確認した。変わりなし。", "家族から電話。最近の様子を聞いた。"],
    "accompany": ["窓口の手続きに同行した。", "受診に同行し、医師の説明を一緒に聞いた。"],
    "meeting": ["関係機関と役割分担を確認した。", "担当者会議で支援の進み具合を共有した。"],
}
