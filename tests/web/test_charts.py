"""The score-trend charts as drawn (healthpal/web/charts.py): text in them is shown as text."""
from datetime import date
from types import SimpleNamespace

from healthpal.web import charts
from tests.markup import parse, text_of, texts

MARKUP = '<img src=x onerror="alert(1)"> & <b>co</b>'


def test_a_type_holding_markup_is_drawn_as_text():
    # The rules allow letters, digits, spaces and hyphens only; the chart escapes the type anyway.
    rows = [SimpleNamespace(id=1, type=MARKUP, date=date(2024, 1, 5), score=40),
            SimpleNamespace(id=2, type=MARKUP, date=date(2024, 3, 5), score=70)]
    [chart] = charts.trends(rows)
    doc = parse(str(chart.svg))
    assert doc.css("img") == [] and doc.css("b") == []
    assert text_of(doc, "figcaption") == MARKUP
    assert text_of(doc, "svg > title") == f"{MARKUP} score over time"
    assert text_of(doc, "desc") == ("2 assessments from 2024-01-05 to 2024-03-05: 2024-01-05 score 40; "
                                    "2024-03-05 score 70.")
    caption_id = doc.css_first("figcaption").attributes["id"]
    assert caption_id == 'chart-<img-src=x-onerror="alert(1)">-&-<b>co</b>-caption'
    assert doc.css_first("svg").attributes["aria-labelledby"] == (
        'chart-<img-src=x-onerror="alert(1)">-&-<b>co</b>-title chart-<img-src=x-onerror="alert(1)">-&-<b>co</b>-desc')
    assert texts(doc, "circle title") == ["2024-01-05: score 40", "2024-03-05: score 70"]


def test_types_that_share_a_slug_keep_ids_of_their_own():
    """'Mood check', 'Mood-check' and 'mood check' are three types (the rules allow each) whose
    slug is the same: every chart's caption, title and description are its own."""
    rows = [SimpleNamespace(id=n, type=kind, date=date(2024, 1, n), score=10 * n)
            for n, kind in enumerate(["Mood check", "Mood-check", "mood check", "Mood check 2"], start=1)]
    doc = parse("".join(str(chart.svg) for chart in charts.trends(rows)))
    ids = [node.attributes["id"] for node in doc.css("[id]")]
    assert len(ids) == len(set(ids)) == 12
    for figure in doc.css("figure"):
        own = {node.attributes["id"] for node in figure.css("[id]")}
        assert set(figure.css_first("svg").attributes["aria-labelledby"].split()) < own
    assert [node.attributes["id"] for node in doc.css("figcaption")] == [
        "chart-mood-check-caption", "chart-mood-check-2-caption", "chart-mood-check-3-caption",
        "chart-mood-check-4-caption"]
    assert texts(doc, "figcaption") == ["Mood check", "Mood check 2", "Mood-check", "mood check"]
