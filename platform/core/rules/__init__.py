"""A town's rules: behaviour hooks that are pure functions over read-only snapshots.

Configuration hooks say *what* a town has; rule hooks say *how it decides*: who leads a new
case, which cases the core proposes for which meeting, how often a case is monitored, when a
pattern should prompt 多機関協働 or アウトリーチ, what a local record must satisfy. The core
builds the snapshots (:mod:`~kasane.core.rules.snapshots`, exported by ``plugin_kit``), calls
the plugin's rule in a worker thread under a time budget (:mod:`~kasane.core.rules.runner`),
checks the answer, and applies its own default (:mod:`~kasane.core.rules.core`) when the rule
is absent, raises, overruns or answers nonsense — logging tenant and hook, never a record.
"""
