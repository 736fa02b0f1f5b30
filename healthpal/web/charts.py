"""The score-trend charts: their geometry, and each drawn as SVG with labelled axes, one point per
assessment with a tooltip, no JavaScript, legible when printed.

A patient page draws a chart per assessment type, each of some thirty values. They are drawn here,
not by a Jinja macro, which escaped and joined them one expression at a time (8 % of the page's
worker CPU). The grid, the axes and their titles are the same in every chart and are drawn once.
Only the type is text from a user, and it is escaped; the rest are numbers and dates (a date's str
is YYYY-MM-DD)."""
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 440, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 52  # room for the axis labels
PLOT_RIGHT, PLOT_BOTTOM = WIDTH - RIGHT, HEIGHT - BOTTOM
SCORE_TICKS = (0, 25, 50, 75, 100)
MIN_TICK_GAP = 120  # date labels are about 85 units wide
AXIS_STROKE = 'stroke="#3d4653" stroke-width="1.5"'
TICK_TEXT = 'class="tick" fill="#3d4653" font-size="14"'


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    date: date
    score: int


@dataclass(frozen=True)
class Chart:
    type: str
    points: list[Point]
    x_ticks: list[tuple[float, str]]
    key: str  # the start of its elements' ids, unique on the page

    @property
    def svg(self) -> Markup:
        return _figure(self)


def _y(score: int) -> float:
    return TOP + (100 - score) / 100 * (PLOT_BOTTOM - TOP)


def _slug(kind: str) -> str:
    return "chart-" + kind.lower().replace(" ", "-")


def trend(kind: str, rows, key: str) -> Chart:
    """One chart: the scores of `rows` (each with .id, .date, .score) against their dates. `key`
    starts its elements' ids."""
    rows = sorted(rows, key=lambda r: (r.date, r.id))
    first, last = rows[0].date.toordinal(), rows[-1].date.toordinal()
    span = max(last - first, 1)
    plot = PLOT_RIGHT - LEFT

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot / 2
        return LEFT + (day.toordinal() - first) / span * plot

    points = [Point(x(r.date), _y(r.score), r.date, r.score) for r in rows]
    middle = date.fromordinal(first + span // 2)
    ticks: list[tuple[float, str]] = []
    for day in (rows[0].date, rows[-1].date, middle):  # the ends first; a label only where it fits
        if all(abs(x(day) - at) >= MIN_TICK_GAP for at, _ in ticks):
            ticks.append((x(day), day.isoformat()))
    return Chart(type=kind, points=points, x_ticks=sorted(ticks), key=key)


def trends(history) -> list[Chart]:
    """One chart per assessment type in `history`, types alphabetically, each with ids of its own:
    types that differ only in case, or in a space against a hyphen, share a slug, and a later one
    adds a number to it."""
    by_type: dict[str, list] = {}
    for row in history:
        by_type.setdefault(row.type, []).append(row)
    taken: set[str] = set()
    drawn = []
    for kind in sorted(by_type):
        slug = _slug(kind)
        key, number = slug, 2
        while key in taken:
            key, number = f"{slug}-{number}", number + 1
        taken.add(key)
        drawn.append(trend(kind, by_type[kind], key))
    return drawn


def _grid() -> str:
    """The score axis's lines and labels, then both axes."""
    rows = "".join(
        f'\n      <line x1="{LEFT}" x2="{PLOT_RIGHT}" y1="{y}" y2="{y}" stroke="#c7ced8" stroke-width="1"/>'
        f'\n      <text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" {TICK_TEXT}>{score}</text>'
        for y, score in ((_y(score), score) for score in SCORE_TICKS))
    return (f'<g class="grid-lines">{rows}\n    </g>\n'
            f'    <line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{PLOT_BOTTOM}" {AXIS_STROKE}/>\n'
            f'    <line class="axis" x1="{LEFT}" x2="{PLOT_RIGHT}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM}"'
            f' {AXIS_STROKE}/>')


def _axis_titles() -> str:
    middle = (TOP + PLOT_BOTTOM) / 2
    title = 'fill="#1d232c" font-size="14" font-weight="600"'
    return (f'\n    <text class="axis-title" x="{(LEFT + PLOT_RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle"\n'
            f'          {title}>Date</text>\n'
            f'    <text class="axis-title" x="16" y="{middle}" text-anchor="middle"\n'
            f'          transform="rotate(-90 16 {middle})" {title}>Score</text>')


GRID, AXIS_TITLES = _grid(), _axis_titles()


def _anchor(index: int, count: int) -> str:
    """A date label's alignment: the first starts at its tick and the last ends at its own."""
    if count > 1 and index == 0:
        return "start"
    return "end" if count > 1 and index == count - 1 else "middle"


def _figure(chart: Chart) -> Markup:
    kind = escape(chart.type)
    key = escape(chart.key)
    points = chart.points
    readings = "; ".join(f"{p.date} score {p.score}" for p in points)
    ticks = "".join(
        f'\n    <line x1="{x}" x2="{x}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM + 5}" {AXIS_STROKE}/>'
        f'\n    <text x="{x}" y="{PLOT_BOTTOM + 20}" text-anchor="{_anchor(i, len(chart.x_ticks))}"\n'
        f'          {TICK_TEXT}>{label}</text>'
        for i, (x, label) in enumerate(chart.x_ticks))
    line = ""
    if len(points) > 1:
        trace = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)
        line = (f'\n    <polyline class="trend-line" points="{trace}" fill="none" stroke="#0060a0"'
                ' stroke-width="2.5"\n              stroke-linejoin="round" stroke-linecap="round"/>')
    circles = "".join(
        f'\n    <circle class="trend-point" cx="{p.x:.1f}" cy="{p.y:.1f}" r="5" fill="#ffffff" stroke="#0060a0"'
        f' stroke-width="2.5">\n      <title>{p.date}: score {p.score}</title>\n    </circle>'
        for p in points)
    return Markup(
        '<figure class="chart">\n'
        f'  <figcaption id="{key}-caption">{kind}</figcaption>\n'
        f'  <svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{key}-title {key}-desc"\n'
        '       class="trend" preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="{key}-title">{kind} score over time</title>\n'
        f'    <desc id="{key}-desc">{len(points)} assessment{"" if len(points) == 1 else "s"}\n'
        f'      from {points[0].date} to {points[-1].date}:\n'
        f'      {readings}.</desc>\n'
        f'    {GRID}{ticks}{AXIS_TITLES}{line}{circles}\n'
        '  </svg>\n'
        '</figure>')
