"""The case page's timeline in the reader's words (stage labels, agency and meeting names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kasane.core.cases.page_forms import DECISION_LABELS
from kasane.core.cases.queries import TimelineItem
from kasane.core.cases.records import EVALUATION_OUTCOMES, GOAL_OUTCOMES, NOTE_KINDS
from kasane.core.config_types import TenantConfig
from kasane.core.i18n import gettext as _
from kasane.core.referrals.models import STATUSES as REFERRAL_STATUSES
from kasane.core.web.templating import wareki_filter


def tr(message: str | None) -> str:
    """Translate a msgid or a plugin's own words; never ``gettext("")`` (the PO header)."""
    return _(message) if message else ""


# Kinds recorded with a date only (the timeline sorts them at 09:00 JST of that day).
DATED_KINDS = frozenset({"consultation", "note", "monitoring", "evaluation"})


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    kind: str
    title: str
    body: str
    details: list[str]
    goals: list[tuple[str, str, str]] = field(default_factory=list)  # goal, outcome, finding

    @property
    def dated(self) -> bool:
        """Show the day only: the time is not part of what was recorded."""
        return self.kind in DATED_KINDS


def _stage_move(i: TimelineItem, stage: dict[str, str]) -> tuple[str, str, list[str]]:
    """A stage move's title, body and where it came from."""
    before = i.extra.get("from")
    came_from = [_("from %(stage)s", stage=tr(stage.get(before, before)))] if before else []
    # a move made by a decision recorded without a note carries the decision's kind
    body = tr(DECISION_LABELS[i.body]) if i.body in DECISION_LABELS else i.body
    return _("Stage: %(stage)s", stage=tr(stage.get(i.title, i.title))), body, came_from


def timeline_view(config: TenantConfig, items: list[TimelineItem]) -> list[TimelineEntry]:
    """Timeline items in the reader's words (stage labels, agency and meeting names)."""
    out = []
    stage = config.stage_labels
    for i in items:
        details: list[str] = []
        goals: list[tuple[str, str, str]] = []
        body = i.body
        if i.kind == "stage":
            title, body, details = _stage_move(i, stage)
        elif i.kind == "consultation":
            counter = config.counter(i.title)
            name = tr(counter.name) if counter else i.title
            title = _("Consultation at %(counter)s", counter=name)
        elif i.kind == "assessment":
            title = _("Assessment, version %(n)s", n=i.title)
        elif i.kind == "plan":
            title = _("Support plan, version %(n)s", n=i.title)
            if i.extra.get("agreed_on"):
                details.append(_("Agreed on %(d)s", d=wareki_filter(i.extra["agreed_on"])))
        elif i.kind == "note":
            title = tr(NOTE_KINDS.get(i.title, i.title))
            if i.extra.get("agency"):
                details.append(tr(config.agency_name(i.extra["agency"])))
        elif i.kind == "monitoring":
            title = _("Monitoring")
            if i.extra.get("review"):
                details.append(_("The plan needs review"))
            if i.extra.get("next_on"):
                details.append(_("Next monitoring: %(d)s", d=wareki_filter(i.extra["next_on"])))
        elif i.kind == "decision":
            title = tr(DECISION_LABELS.get(i.title, i.title))
            meeting = config.meeting_type(i.extra.get("meeting_type") or "")
            if meeting is not None:
                details.append(tr(meeting.name))
            elif i.extra.get("source") == "exception":
                details.append(_("Recorded exception"))
        elif i.kind == "evaluation":
            outcome = tr(EVALUATION_OUTCOMES.get(i.title, i.title))
            title = _("Evaluation: %(outcome)s", outcome=outcome)
            goals = [
                (
                    _("Goal {n}: {goal}").format(n=n, goal=j.row.goal),
                    tr(GOAL_OUTCOMES.get(j.outcome, j.outcome)),
                    j.finding,
                )
                for n, j in enumerate(i.extra.get("goals", []), start=1)
            ]
        elif i.kind == "referral":
            title = _("Referral to %(agency)s", agency=tr(config.agency_name(i.title)))
            status = i.extra.get("status") or ""
            if status:
                details.append(tr(REFERRAL_STATUSES.get(status, status)))
        else:
            title = i.title
        out.append(TimelineEntry(i.at, i.kind, title, body, details, goals))
    return out
