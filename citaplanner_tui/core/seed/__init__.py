"""CitaPlanner's seed, planned before it is applied: ``plan_seed`` reads, ``apply_seed`` writes.

Modules: ``data`` (the seed's rows and keys), ``templates`` (its notification texts),
``read`` (bounded reads, schema check, ``plan_seed``), ``plan`` (the pure decision),
``apply`` (the locked, transactional write), ``cuid`` and ``passwords`` (Prisma-shaped
ids, bcryptjs-compatible hashes).
"""

from citaplanner_tui.core.seed.apply import ApplyResult, apply_seed
from citaplanner_tui.core.seed.plan import Item, Ref, SeedPlan, Status, decide
from citaplanner_tui.core.seed.read import SeedError, Snapshot, check_schema, plan_seed

__all__ = [
    "ApplyResult",
    "Item",
    "Ref",
    "SeedError",
    "SeedPlan",
    "Snapshot",
    "Status",
    "apply_seed",
    "check_schema",
    "decide",
    "plan_seed",
]
