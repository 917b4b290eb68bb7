"""The plugin contract: every hook a municipal plugin may implement.

Each hook is called once per tenant when its configuration is (re)built — at start-up, and
again when the tenant's plugin changes — never per request. Every hook receives ``tenant``,
a :class:`~kasane.core.plugin_kit.TenantInfo`, so one plugin can serve several towns.
Hooks return plain data (dicts, lists, strings); the core validates it into the structs of
:mod:`kasane.core.plugin_kit` and refuses the plugin, naming plugin, hook and field, when
something is wrong. The tenant then keeps its last good configuration.

Rules that keep plugins working across releases:

* hooks only ever gain arguments (pluggy passes only those an implementation names);
* a hook that goes away is first deprecated with ``warn_on_impl``;
* ``HOOKS_VERSION`` changes when a hook's meaning changes; a plugin declares the versions
  it supports as ``KASANE_HOOKS = (min, max)`` in its module.

Phases: **structure** (counters, areas, agencies) → **meetings** → **participation** →
**forms** → **words and look** (stage labels, terminology, theme, templates).

**Rule hooks** are called at other times, while staff work: ``kasane_intake_routing``,
``kasane_agenda_rules``, ``kasane_monitoring_interval``, ``kasane_escalation_prompts``,
``kasane_validate_record`` and ``kasane_local_indicators``. A rule is a pure function of
read-only snapshots from ``plugin_kit`` (no session, no model, no clock: ``today`` is in
the snapshot). Each call runs in a worker thread and must answer within half a second; a
rule that raises, overruns or answers nonsense is logged with the tenant and the hook, the
core's own rule applies (``kasane.core.rules.core``, importable through ``plugin_kit`` to
build on), and the staff page works as if the plugin had no rule.
"""

from __future__ import annotations

from typing import Any

import pluggy

HOOKS_VERSION = 1
PROJECT = "kasane"

hookspec = pluggy.HookspecMarker(PROJECT)

# ---------------------------------------------------------------- structure


@hookspec(firstresult=True)
def kasane_counters(tenant: Any) -> list[dict[str, Any]] | None:
    """The consultation counters (相談窓口) where intake may happen.

    Called: when the tenant's configuration is built. The first non-None answer wins, so
    a municipal plugin replaces the core's national default counters.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of counters, each ``{"key", "name", "field", "agency"?, "area"?, "place"?,
        "phone"?}``; ``field`` is one of elderly, disability, children, poverty, general,
        health, other. ``agency`` and ``area`` must name keys from ``kasane_agencies`` and
        ``kasane_areas``.

    Example:
        ``[{"key": "hokatsu", "name": "地域包括支援センター", "field": "elderly",
        "agency": "hokatsu"}]``
    """


@hookspec(firstresult=True)
def kasane_areas(tenant: Any) -> list[dict[str, Any]] | None:
    """The areas (圏域) the town divides itself into: 日常生活圏域, 地区, 中学校区.

    Called: when the tenant's configuration is built; first non-None answer wins.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of ``{"key", "name", "kind"?, "parent"?}``; ``parent`` names another area's
        key, for nested areas (a 地区 inside a 日常生活圏域).

    Example:
        ``[{"key": "usuki", "name": "臼杵地域"}, {"key": "nozu", "name": "野津地域"}]``
    """


@hookspec(firstresult=True)
def kasane_agencies(tenant: Any) -> list[dict[str, Any]] | None:
    """The support agencies (支援関係機関) that take part in cases and meetings.

    Called: when the tenant's configuration is built; first non-None answer wins.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of ``{"key", "name", "field", "kind"?, "coordinates"?}``; ``kind`` is
        municipal, contracted (委託) or partner; ``coordinates: true`` marks the one agency
        that runs 多機関協働 (default: the first municipal agency).

    Example:
        ``[{"key": "shakyo", "name": "社会福祉協議会", "field": "general",
        "kind": "contracted"}]``
    """


# ---------------------------------------------------------------- meetings


@hookspec(firstresult=True)
def kasane_meeting_types(tenant: Any) -> list[dict[str, Any]] | None:
    """The meetings the town runs, each with its legal basis and cadence.

    Called: when the tenant's configuration is built; first non-None answer wins.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of ``{"key", "name", "legal_basis", "legal_basis_note", "host", "cadence",
        "members"?, "decisions"?, "purpose"?, "discusses_cases"?}``. ``legal_basis`` is
        ``art106_6`` (支援会議, 社会福祉法106条の6: no consent needed, members bound to
        confidentiality),
        ``consent`` (重層的支援会議 under the municipal 要綱: only consented cases) or
        ``other_law`` (name the law in ``legal_basis_note``). ``cadence`` is
        ``{"frequency": monthly|weekly|quarterly|as_needed, "weekday"?: 0-6 (Monday=0),
        "nth"?: 1-4 or -1, "time"?: "HH:MM", "duration_minutes"?}``. ``members`` are agency
        keys; ``decisions`` lists what the meeting may decide (support_decision,
        plan_change, closure, suspension, continuation, role_assignment,
        resource_development, information_sharing, system_review). ``discusses_cases``
        (default true) is false for a meeting about the support system itself
        (体制検討会議): no case or outreach record goes on its agenda, and it may not take
        a decision about a case (support_decision, plan_change, closure, suspension,
        continuation, role_assignment). ``host`` is an agency's key or name, or
        ``"municipality"``.

        How the calendar reads a cadence: ``monthly`` meets on the ``nth`` ``weekday`` of
        every month (``nth`` -1 = the last); ``quarterly`` the same, in the months that
        start the fiscal quarters (April, July, October, January); ``weekly`` every week
        on ``weekday`` (``nth`` means nothing there and is refused); ``as_needed`` has no
        date (no ``weekday`` or ``nth``). Monthly, quarterly and weekly meetings need a
        Monday–Friday ``weekday`` (monthly and quarterly also ``nth``), or they are never
        scheduled. A date that falls on a weekend, a 国民の祝日 or 29 Dec–3 Jan moves to
        the next business day. ``time`` is JST between 07:00 and 21:00;
        ``duration_minutes`` 1–480 (default 90).

    Example:
        ``[{"key": "jusoteki", "name": "重層的支援会議", "legal_basis": "consent",
        "legal_basis_note": "重層的支援体制整備事業実施要綱", "host": "地域力創生課",
        "cadence": {"frequency": "monthly", "weekday": 1, "nth": 2, "time": "14:00"},
        "decisions": ["support_decision", "closure"]}]``
    """


# ---------------------------------------------------------------- participation


@hookspec(firstresult=True)
def kasane_participation_menus(tenant: Any) -> list[dict[str, Any]] | None:
    """The participation-support (参加支援) menus the town offers.

    Called: when the tenant's configuration is built; first non-None answer wins.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of ``{"key", "name", "category", "description"?, "capacity"?, "schedule"?,
        "area"?}``; ``category`` is work_trial (就労体験), ibasho (居場所), volunteer,
        housing_watch (見守り等居住支援), learning or other.

    Example:
        ``[{"key": "farm", "name": "農園での就労体験", "category": "work_trial",
        "capacity": 3, "schedule": "毎週火・木 9:00-12:00"}]``
    """


# ---------------------------------------------------------------- forms


@hookspec
def kasane_form_definitions(tenant: Any) -> list[dict[str, Any]] | None:
    """Forms (intake, assessment, plan …) or local additions to the national ones.

    Called: when the tenant's configuration is built. Every implementation's answer is
    used: the core answers with the national reference forms (自治体事務マニュアル); a
    plugin form with the same ``key`` adds its sections after the national ones (it can
    add fields, never remove or redefine a national field). The merged form's version is
    ``"<core version>+<plugin version>"`` and records keep the version they were written
    with.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A list of ``{"key", "title", "version", "sections": [{"key", "title", "fields":
        [{"name", "label", "type", "required"?, "choices"?: [{"value", "label"}],
        "validation"?: {"max_length"?, "min"?, "max"?, "pattern"?, "message"?}, "help"?,
        "sensitive"?}]}]}``. ``type`` is text, textarea, date, number, tel, email, select,
        radio, checkboxes or boolean; select, radio and checkboxes need ``choices``.

    Example:
        ``[{"key": "intake", "title": "相談受付票", "version": "usuki-1", "sections": [
        {"key": "local", "title": "臼杵市の項目", "fields": [{"name": "ishibotoke_net",
        "label": "うすき石仏ねっと加入", "type": "boolean"}]}]}]``
    """


# ---------------------------------------------------------------- words and look


@hookspec
def kasane_stage_labels(tenant: Any) -> dict[str, str] | None:
    """Labels for the core case stages, as the town's staff say them.

    Called: when the tenant's configuration is built; answers are merged, a plugin's
    labels over the core's. Keys must be core stages (reception, intake, assessment,
    plan_draft, decision, support, monitoring, evaluation, closed, suspended); stages
    can be relabelled, never removed.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A dict stage → label.

    Example:
        ``{"decision": "支援方針決定"}``
    """


@hookspec
def kasane_terminology(tenant: Any) -> dict[str, str] | None:
    """Words the UI uses for the town's own terms.

    Called: when the tenant's configuration is built; answers are merged, a plugin's over
    the core's, and the tenant admin's words (``/admin/look``) apply on top of both. Keys
    must be terms the core defines (see ``kasane.core.defaults``).

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        A dict term → label.

    Example:
        ``{"area": "地域振興協議会区域", "lead_agency": "主担当機関"}``
    """


@hookspec(firstresult=True)
def kasane_theme(tenant: Any) -> str | None:
    """The theme the town's staff pages use.

    Called: when the tenant's configuration is built; first non-None answer wins. A tenant
    admin's choice, once set, takes precedence over the plugin's.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        The name of an installed theme (a folder under ``kasane_themes``).

    Example:
        ``"usuki"``
    """


@hookspec(firstresult=True)
def kasane_template_dir(tenant: Any) -> str | None:
    """A folder of templates that override the core's for this town.

    Called: when the tenant's template loader is built; first non-None answer wins. The
    loader looks in theme → this folder → core, so a plugin can replace a fragment (say
    ``_home_intro.html``) while a theme can still restyle it.

    Args:
        tenant: the TenantInfo being configured.

    Returns:
        An absolute path to a folder, or None for no overrides.

    Example:
        ``str(pathlib.Path(__file__).parent / "templates")``
    """


# ---------------------------------------------------------------- reports (a rule hook)


@hookspec
def kasane_local_indicators(tenant: Any, records: Any) -> list[dict[str, Any]] | None:
    """Local indicators (市町村独自の指標) counted over the core's records.

    Called: each time the town's figures are counted — the report pages, their Excel and
    CSV downloads, ``kasane reports export`` — once per period shown, in a worker thread
    with a time limit. Every implementation's answer is used. It must be a pure function
    of its arguments: no database, no network, no clock (``records.today`` is the day
    counted as of). An implementation that raises, takes too long or answers something
    invalid is logged and left out; the core's figures are shown all the same. A plugin
    that does not implement it costs nothing.

    Args:
        tenant: the TenantInfo of the town.
        records: a ``ReportRecords`` (from ``plugin_kit``) of the period ``records.start`` –
            ``records.end``: ``consultations`` (``ref``, ``person_ref``, ``received_on``,
            ``counter``, ``field``, ``channel``, ``outcome``, ``referred_to``,
            ``main_category``, ``categories``, ``case_ref``, ``fields`` — the intake form's
            unsealed, non-identity values, your own fields among them), ``referrals``
            (``ref``, ``person_ref``, ``case_ref``, ``sent_on``, ``from_agency``,
            ``to_agency``, ``status``) and ``meetings`` held (``ref``, ``meeting_type``,
            ``legal_basis``, ``held_on``, ``case_refs``, ``outreach_refs``). References are
            opaque, stable strings; there are no names and no narratives.

    Returns:
        A list of indicators, each ``{"key", "name", "definition", "name_en"?,
        "definition_en"?, "unit"?, "flow"?, "dimensions"?, "facts"}``: ``key`` lower-case
        ascii (shown as ``local.<key>``); ``name`` and ``definition`` in Japanese for staff
        (what is counted, on which date); ``unit`` one of records, persons, times, places,
        agencies, hosts; ``flow`` false for a figure that does not grow through the year;
        ``dimensions`` ``[{"key", "name", "name_en"?, "values"?: {value: label}}]``;
        ``facts`` ``[{"unit", "on", "by"?}]``, one per counted thing: ``unit`` counts once
        (a record's ref counts records, a ``person_ref`` counts people), ``on`` is the date
        it counts on, ``by`` its value for each declared dimension. The core adds the
        month breakdown and ignores facts outside the period.

    Example:
        ``[{"key": "marugoto-cases", "name": "まるごと会議で検討した事例数",
        "definition": "開催したまるごと会議で検討した事例を会議ごとに数えます。",
        "facts": [{"unit": f"{m.ref}:{c}", "on": m.held_on} for m in records.meetings
        if m.meeting_type == "marugoto" for c in m.case_refs]}]``
    """


# ---------------------------------------------------------------- rules (behaviour)


@hookspec(firstresult=True)
def kasane_intake_routing(tenant: Any, intake: Any) -> str | None:
    """Which agency leads a case opened at intake (主担当機関).

    Called: when a consultation opens a case (outcome 継続 or 多機関協働), before the case is
    saved. The first non-None answer wins; None leaves it to the core: the counter's agency,
    or the coordinating agency for a counter without one. An answer that is not one of the
    town's agency keys falls back to the core's.

    Args:
        tenant: the TenantInfo of the town.
        intake: an ``IntakeSnapshot`` (``plugin_kit``): ``counter``, ``field`` (the
            counter's), ``counter_agency``, ``coordinating_agency``, ``outcome``
            (``continued`` or ``multi_agency``), ``categories``, ``main_category``,
            ``channel``, ``household`` (``members`` with ``relation``, ``age``,
            ``is_carer``, ``needs_care``, ``withdrawn``; ``patterns`` such as ``8050``,
            ``young_carer``), ``fields`` (the form's plain values) and ``today``.

    Returns:
        An agency key from ``kasane_agencies`` (or one the town's admin added), or None.

    Example:
        ``return "chiikiryoku" if intake.outcome == "multi_agency" else None``
    """


@hookspec(firstresult=True)
def kasane_agenda_rules(tenant: Any, meeting: Any, cases: Any) -> list[dict[str, Any]] | None:
    """Which cases the core proposes for a meeting's agenda, and as what.

    Called: when a meeting's page is shown and its agenda is not final. The first non-None
    answer replaces the core's proposals (call ``core_rules.agenda(meeting, cases)`` from
    ``plugin_kit`` to start from them). The host still chooses: a proposal is never put on
    the agenda by itself, and consent rules apply as always. Never called for a meeting with
    ``discusses_cases: false``. Unnamed outreach records are proposed by the core apart.

    Args:
        tenant: the TenantInfo of the town.
        meeting: a ``MeetingSnapshot``: ``ref``, ``meeting_type`` (its key),
            ``legal_basis``, ``decisions``, ``members``, ``on`` (the meeting's day).
        cases: a tuple of ``CaseSnapshot`` — the open cases a member agency takes part in:
            ``ref``, ``case_no``, ``stage``, ``stage_since``, ``days_in_stage``,
            ``opened_on``, ``counter``, ``field``, ``lead_agency``, ``agencies``,
            ``collaboration``, ``collaboration_since``, ``has_plan``,
            ``next_monitoring_on``, ``categories``, ``risk`` (high or normal),
            ``household``, ``today``.

    Returns:
        A list of ``{"case": ref, "kind"}``, ``kind`` one of support_decision, monitoring,
        evaluation, new_collaboration, early_detection, other; refs must come from
        ``cases``. Or None for the core's proposals.

    Example:
        ``[{"case": c.ref, "kind": "new_collaboration"} for c in cases
        if meeting.meeting_type == "marugoto" and c.stage == "intake"]``
    """


@hookspec(firstresult=True)
def kasane_monitoring_interval(tenant: Any, case: Any) -> int | None:
    """Days from one monitoring to the next, by stage and risk.

    Called: when a case's page offers the monitoring form (the next date it proposes) and
    when a monitoring is saved without a next date (staff's own date always wins). The
    first non-None answer wins; the core's: 30 days for a high-risk case (DV・虐待,
    食べるものがない), else 90.

    Args:
        tenant: the TenantInfo of the town.
        case: a ``CaseSnapshot`` (see ``kasane_agenda_rules``).

    Returns:
        Whole days, 1 to 366, or None for the core's interval.

    Example:
        ``return 14 if case.risk == "high" else 60``
    """


@hookspec
def kasane_escalation_prompts(tenant: Any, case: Any) -> list[dict[str, Any]] | None:
    """Suggestions shown to staff on a case's page: a pattern that calls for 多機関協働 or
    アウトリーチ. Never an automatic move: staff read the suggestion and decide.

    Called: each time a case's page is shown. Every answer is used, after the core's
    (8050 and ヤングケアラー without 多機関協働 → suggest 多機関協働; a withdrawn member →
    suggest アウトリーチ); a plugin answer with the same ``key`` as a core suggestion
    replaces it.

    Args:
        tenant: the TenantInfo of the town.
        case: a ``CaseSnapshot`` (see ``kasane_agenda_rules``).

    Returns:
        A list of ``{"key", "message", "suggest"}``: ``message`` 1–300 characters in the
        staff's language; ``suggest`` collaboration, outreach or other.

    Example:
        ``[{"key": "8050", "suggest": "outreach", "message": "8050世帯です。"
        "地域力創生課へ相談してください。"}] if "8050" in case.household.patterns else []``
    """


@hookspec
def kasane_validate_record(tenant: Any, record: Any) -> list[dict[str, str]] | None:
    """The town's own checks on a record before it is saved (after the core's).

    Called: when an intake form is submitted and passed the core's validation. Every
    answer is used; a problem refuses the submission and is shown beside its field, with
    everything typed kept.

    Args:
        tenant: the TenantInfo of the town.
        record: a ``RecordSnapshot``: ``form`` (its key, e.g. ``intake``), ``values``
            (field → value, dates as dates), ``counter`` and ``today``.

    Returns:
        A list of ``{"field", "message"}``: ``field`` a field name of that form,
        ``message`` (1–300 characters) naming the problem in the staff's language.

    Example:
        ``[{"field": "ishibotoke_net", "message": "石仏ねっとの加入を確認してください。"}]
        if record.form == "intake" and not record.values.get("ishibotoke_net") else []``
    """
