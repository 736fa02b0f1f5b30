"""The performance issue's targets, and a run's figures judged against them twice: as written, and
scaled to this host by the ceiling measured beside each scenario.

The issue set its targets on a machine whose bare ceilings it measured too (`ISSUE_CEILINGS`). A
host that serves the bare Flask app more slowly serves Healthpal more slowly in proportion, so a
target scaled by the ratio of the two ceilings says what the target asks of this host. The issue
gave two of its ceilings as ranges; a scaled target is then a range too, met in full only at its
high end. Latency targets (p99) are judged as written in both verdicts.
"""
from dataclasses import dataclass

# The issue's bare ceilings on its own machine, req/s (lowest and highest reading).
ISSUE_CEILINGS = {
    "one-row read": (2400, 2800),
    "read + INSERT + COMMIT": (1150, 1150),
}
MEMORY_MB = 150  # worker RSS through the run
YES, PARTLY, NO = "yes", "partly", "no"


@dataclass(frozen=True)
class Target:
    rps: float
    p99_ms: float | None = None

    def __str__(self) -> str:
        return f">= {self.rps:g} req/s" + (f", p99 <= {self.p99_ms:g} ms" if self.p99_ms is not None else "")


TARGETS = {
    "api patients page_size=100": Target(450),
    "api patient detail": Target(950),
    "api assessments page_size=100": Target(200, p99_ms=50),
    "api assessments filtered": Target(200, p99_ms=50),
    "api assessment detail": Target(950),
    "portal patients page": Target(300),
    "portal patient page": Target(300),
    "portal assessment form": Target(300),
    "admin patients list": Target(150),
    "admin assessments list": Target(150),
    "admin audit list": Target(150),
    "api create assessment 5 rounds": Target(450),
    "api update assessment 5 rounds": Target(450),
    "api login": Target(50),
}


def judged(result: dict) -> dict | None:
    """A scenario's result against its target: met as written; the target scaled to the ceiling
    measured beside it (low and high req/s) and whether that is met (yes, partly: past the low end
    only, no). None for a scenario without a target or without a figure."""
    target = TARGETS.get(result["scenario"])
    if target is None or result["rps"] is None:
        return None
    quick_enough = target.p99_ms is None or (result["p99_ms"] is not None and result["p99_ms"] <= target.p99_ms)
    verdict = {"target": str(target), "met": quick_enough and result["rps"] >= target.rps,
               "scaled_rps": None, "met_scaled": None}
    beside = result.get("ceiling_rps")
    if beside:
        low, high = ISSUE_CEILINGS[result["ceiling"]]
        scaled = (round(target.rps * beside / high, 1), round(target.rps * beside / low, 1))
        met = YES if result["rps"] >= scaled[1] else PARTLY if result["rps"] >= scaled[0] else NO
        verdict |= {"scaled_rps": scaled, "met_scaled": met if quick_enough else NO}
    return verdict


def _span(scaled: tuple[float, float] | None) -> str:
    if scaled is None:
        return "-"
    low, high = scaled
    return f"{low:,.0f} req/s" if low == high else f"{low:,.0f}-{high:,.0f} req/s"


def table(results: list[dict], peak_rss_mb: float) -> str:
    """One line per result judged (its `target`, from `judged`), then the memory budget's."""
    lines = [f"{'scenario':<34} {'target':<30} {'req/s':>8} {'p99 ms':>7} {'met':>4}  "
             f"{'scaled to this host':>22} {'met':>6}"]
    for result in results:
        verdict = result.get("target")
        if verdict is None:
            continue
        lines.append(f"{result['scenario']:<34} {verdict['target']:<30} {result['rps']:>8.1f} "
                     f"{result['p99_ms']:>7.1f} {YES if verdict['met'] else NO:>4}  "
                     f"{_span(verdict['scaled_rps']):>22} {verdict['met_scaled'] or '-':>6}")
    lines.append(f"{'worker peak RSS':<34} {f'< {MEMORY_MB} MB':<30} {f'{peak_rss_mb:.0f} MB':>17} "
                 f"{YES if peak_rss_mb < MEMORY_MB else NO:>4}")
    return "\n".join(lines)
