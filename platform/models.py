"""Imports every model module so ``Base.metadata`` is complete (migrations, tests)."""

from kasane.core.audit import models as audit_models  # noqa: F401  (registers tables)
from kasane.core.auth import models as auth_models  # noqa: F401
from kasane.core.db import Base
from kasane.tenants import models as tenant_models  # noqa: F401

metadata = Base.metadata
