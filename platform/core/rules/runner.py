"""Calling a town's rules safely: a worker thread, a time budget, a checked answer.

Each plugin implementation of a rule hook runs in a worker thread and must answer within
``BUDGET`` seconds. An implementation that raises, overruns or answers something the check
refuses is logged (tenant, hook, what went wrong — never a record's content) and skipped:
the core's own rule answers instead, and the page that asked still works. A thread that
overran cannot be stopped; it finishes in the background and its answer is dropped (the
pool is small, so a rule that hangs costs the town its rule, not the server).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kasane.core.config_types import TenantConfig, TenantInfo

log = logging.getLogger("kasane.rules")
BUDGET = 0.5  # seconds one implementation may take for one call
CORE = "kasane-core"
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kasane-rule")


class RuleRefused(ValueError):
    """A rule's answer failed its check; the message says why (English, for the log)."""


@dataclass(frozen=True)
class Rules:
    """One tenant's rules: its hook caller, what plugins are told about it, its config."""

    hooks: Any  # pluggy's hook relay for the tenant, or None: the core's rules only
    info: TenantInfo | None
    config: TenantConfig
    slug: str = ""
    noted: list[str] | None = None  # when a list: each fallback is also noted here (tests)

    @classmethod
    def of(cls, tenant: Any) -> Rules:
        """The rules of a ``TenantContext`` (its effective configuration)."""
        return cls(tenant.hooks, tenant.info, tenant.config, tenant.slug)

    @classmethod
    def core(cls, config: TenantConfig) -> Rules:
        """Only the core's rules (demo seeding, tests of the core itself)."""
        return cls(None, None, config)

    def implementations(self, hook: str) -> list[Any]:
        """The plugin's implementations of ``hook`` (never the core's)."""
        if self.hooks is None:
            return []
        return [i for i in getattr(self.hooks, hook).get_hookimpls() if i.plugin_name != CORE]

    def fell_back(self, hook: str, plugin: str, reason: str) -> None:
        if self.noted is not None:
            self.noted.append(f"{hook}: {plugin}: {reason}")
        log.warning(
            "rule fell back to the core's: tenant=%s hook=%s plugin=%s: %s",
            self.slug or "-",
            hook,
            plugin,
            reason,
        )

    async def _call(self, impl: Any, hook: str, args: dict[str, Any]) -> tuple[bool, Any]:
        given = {"tenant": self.info, **args}
        call = functools.partial(impl.function, **{n: given[n] for n in impl.argnames})
        loop = asyncio.get_running_loop()
        try:
            return True, await asyncio.wait_for(loop.run_in_executor(_pool, call), BUDGET)
        except TimeoutError:
            self.fell_back(hook, impl.plugin_name, f"took longer than {BUDGET} s")
        except Exception as exc:  # a plugin's bug must not take the page down
            # its type only: the message could quote a snapshot's values
            self.fell_back(hook, impl.plugin_name, f"raised {type(exc).__name__}")
        return False, None

    async def first(
        self, hook: str, default: Callable[[], Any], check: Callable[[Any], Any], **args: Any
    ) -> Any:
        """The first plugin answer that is not None and passes ``check`` (which returns the
        value to use, or raises RuleRefused); else ``default()``, the core's rule."""
        for impl in self.implementations(hook):
            ok, answer = await self._call(impl, hook, args)
            if not ok or answer is None:
                continue
            try:
                return check(answer)
            except (RuleRefused, TypeError, ValueError, KeyError, AttributeError) as exc:
                self.fell_back(hook, impl.plugin_name, f"answered nonsense: {exc}")
        return default()

    async def every(
        self, hook: str, core: list[Any], check: Callable[[Any], list[Any]], **args: Any
    ) -> list[Any]:
        """The core's answer followed by every plugin answer that passes ``check``."""
        found = list(core)
        for impl in self.implementations(hook):
            ok, answer = await self._call(impl, hook, args)
            if not ok or answer is None:
                continue
            try:
                found.extend(check(answer))
            except (RuleRefused, TypeError, ValueError, KeyError, AttributeError) as exc:
                self.fell_back(hook, impl.plugin_name, f"answered nonsense: {exc}")
        return found
