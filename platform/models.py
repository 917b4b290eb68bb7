"""Imports every model module so ``Base.metadata`` is complete (migrations, tests)."""

from kasane.central import models as central_models  # noqa: F401  (registers tables)
from kasane.core.audit import models as audit_models  # noqa: F401
from kasane.core.auth import models as auth_models  # noqa: F401
from kasane.core.caseload import models as caseload_models  # noqa: F401
from kasane.core.cases import models as case_models  # noqa: F401
from kasane.core.community import models as community_models  # noqa: F401
from kasane.core.consent import models as consent_models  # noqa: F401
from kasane.core.db import Base
from kasane.core.gaps import models as gap_models  # noqa: F401
from kasane.core.intake import models as intake_models  # noqa: F401
from kasane.core.look import models as look_models  # noqa: F401
from kasane.core.meetings import models as meeting_models  # noqa: F401
from kasane.core.outreach import models as outreach_models  # noqa: F401
from kasane.core.participation import models as participation_models  # noqa: F401
from kasane.core.people import models as people_models  # noqa: F401
from kasane.core.protection import models as protection_models  # noqa: F401
from kasane.core.referrals import models as referral_models  # noqa: F401
from kasane.core.registry import models as registry_models  # noqa: F401
from kasane.core.reports import models as report_models  # noqa: F401
from kasane.core.town import models as town_models  # noqa: F401
from kasane.ops.jobs import models as job_models  # noqa: F401
from kasane.tenants import models as tenant_models  # noqa: F401
from kasane.tenants.billing import models as billing_models  # noqa: F401

metadata = Base.metadata
