"""Geometry of the score-trend charts; `templates/_chart.html` draws them as SVG."""
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 440, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 52  # room for the axis labels
SCORE_TICKS = (0, 25, 50, 75, 100)
MIN_TICK_GAP = 120  # date labels are about 85 units wide


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    date: date
    score: int
    assessment_id: int


@dataclass(frozen=True)
class Chart:
    type: str
    points: list[Point]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _y(score: int) -> float:
    return TOP + (100 - score) / 100 * (HEIGHT - BOTTOM - TOP)


def trend(kind: str, rows) -> Chart:
    """One chart: the scores of `rows` (each with .id, .date, .score) against their dates."""
    rows = sorted(rows, key=lambda r: (r.date, r.id))
    first, last = rows[0].date.toordinal(), rows[-1].date.toordinal()
    span = max(last - first, 1)
    plot = WIDTH - RIGHT - LEFT

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot / 2
        return LEFT + (day.toordinal() - first) / span * plot

    points = [Point(x(r.date), _y(r.score), r.date, r.score, r.id) for r in rows]
    middle = date.fromordinal(first + span // 2)
    ticks: list[tuple[float, str]] = []
    for day in (rows[0].date, rows[-1].date, middle):  # the ends first; a label only where it fits
        if all(abs(x(day) - at) >= MIN_TICK_GAP for at, _ in ticks):
            ticks.append((x(day), day.isoformat()))
    return Chart(
        type=kind,
        points=points,
        x_ticks=sorted(ticks),
        y_ticks=[(_y(score), score) for score in SCORE_TICKS],
    )


def trends(history) -> list[Chart]:
    """One chart per assessment type in `history`, types alphabetically."""
    by_type: dict[str, list] = {}
    for row in history:
        by_type.setdefault(row.type, []).append(row)
    return [trend(kind, by_type[kind]) for kind in sorted(by_type)]
