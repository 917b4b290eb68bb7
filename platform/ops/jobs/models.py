"""What the operator sees of the jobs (``kasane jobs list``), and once-only marks.

Platform tables (no tenant): a run's result is a count summary, never personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, UTCDateTime, utcnow


class JobRun(Base):
    """One attempt of one job: when it was due, when it ran, how it ended."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # running|succeeded|failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    worker: Mapped[str] = mapped_column(String(100), nullable=False, default="")


class JobMark(Base):
    """Something a job did that must not be done twice (a digest mailed for a tenant, agency
    and day; a review notice for a service and month): inserted before the mail goes."""

    __tablename__ = "job_marks"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
