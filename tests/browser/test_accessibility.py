"""Accessibility, proved in Chromium at phone and desktop sizes: every portal page (and the
sign-in page) has no serious or critical axe-core violation, keeps a visible focus, and a
clinician can add a patient and an assessment with the keyboard alone."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from healthpal.domain import clock, patients
from tests import factories
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """What axe-core (bundled with axe-playwright-python, so no network) finds serious or worse."""
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.fixture
def records(clinician):
    patient = factories.make_patient(clinician, full_name="Łukasz Müller", address_label="Nowy Świat 5, Warszawa")
    factories.make_assessment(patient, type="Mood", date="2024-01-10", score=40)
    assessment = factories.make_assessment(patient, type="Mood", date="2024-02-10", score=55)
    return {"patient": patient.id, "assessment": assessment.id}


def portal_pages(ids: dict) -> dict:
    """Every page a signed-in clinician can open, by what it shows."""
    patient, assessment = ids["patient"], ids["assessment"]
    return {
        "patient list": "/",
        "patient list, filtered and sorted": "/?q=muller&not_assessed=30&sort=-last_score",
        "patient list, nothing found": "/?q=nobody",
        "new patient": "/patients/new",
        "patient": f"/patients/{patient}",
        "patient, one type": f"/patients/{patient}?type=Mood",
        "edit patient": f"/patients/{patient}/edit",
        "delete patient": f"/patients/{patient}/delete",
        "new assessment": f"/patients/{patient}/assessments/new",
        "assessment": f"/assessments/{assessment}",
        "edit assessment": f"/assessments/{assessment}/edit",
        "delete assessment": f"/assessments/{assessment}/delete",
        "account": "/account",
        "not found": "/patients/999999",
    }


def test_sign_in_page_has_no_serious_violation(page):
    page.goto("/login")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign in").click()          # and with its error shown
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious_violations(page) == []


def test_every_portal_page_has_no_serious_violation(page, clinician, records):
    sign_in(page)
    found = {}
    for name, url in portal_pages(records).items():
        page.goto(url)
        found[name] = serious_violations(page)
    assert found == {name: [] for name in found}


def test_forms_showing_errors_have_no_serious_violation(page, clinician, records):
    sign_in(page)
    page.goto("/patients/new")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/patients/{records['patient']}/assessments/new")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert serious_violations(page) == []


def focus_is_visible(page) -> bool:
    """Whether the focused element draws an outline or a focus ring (box-shadow)."""
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
        return outline || style.boxShadow !== "none";
    }""")


@pytest.mark.parametrize("which", ["sign in", "patient list", "new patient", "patient", "new assessment"])
def test_focus_stays_visible_on_every_stop(page, clinician, records, which):
    if which == "sign in":
        page.goto("/login")
    else:
        sign_in(page)
        page.goto(portal_pages(records).get(which, "/"))
    invisible = []
    for _ in range(25):
        page.keyboard.press("Tab")
        tag = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        if tag.startswith("<body"):
            break
        if not focus_is_visible(page):
            invisible.append(tag)
    assert invisible == []


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the element whose accessible text starts with `name` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate("""() => {
            const el = document.activeElement;
            const labelled = el.labels && el.labels.length ? el.labels[0].textContent : "";
            return (labelled || el.getAttribute("aria-label") || el.textContent || "").trim();
        }""")
        if label.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_patient_and_an_assessment_added_with_the_keyboard_alone(page, clinician):
    sign_in(page)
    keys = page.keyboard
    tab_to(page, "Add patient")
    keys.press("Enter")
    expect(page.get_by_role("heading", name="New patient")).to_be_visible()

    tab_to(page, "Full name")
    keys.type("Zoë Keyboard")
    tab_to(page, "Gender")
    keys.type("Fe")                                              # type-ahead picks "Female"
    tab_to(page, "Birthdate")
    keys.type("05171980")                                        # the date field's own segments
    tab_to(page, "Phone")
    keys.type("5550199")
    tab_to(page, "Address")
    keys.type("Rue de Rivoli 1, Paris")
    tab_to(page, "Google Place ID")
    keys.type("ChIJD7fiBh9u5kcRYJSMaMOCCwQ")
    keys.press("Enter")                                          # submits the form
    expect(page.get_by_text("Zoë Keyboard was added.")).to_be_visible()

    tab_to(page, "Add assessment")
    keys.press("Enter")
    expect(page.get_by_label("Date")).to_have_value(clock.today().isoformat())
    tab_to(page, "Type")
    keys.type("Mood check")
    tab_to(page, "Score")
    keys.type("64")
    tab_to(page, "Question")
    keys.type("How is your mood?")
    tab_to(page, "Answer")
    keys.type("Better")
    tab_to(page, "Add question")
    keys.press("Enter")
    expect(page.get_by_label("Question", exact=True)).to_have_count(2)
    expect(page.get_by_label("Question", exact=True).nth(1)).to_be_focused()
    keys.type("Sleeping well?")
    tab_to(page, "Answer")
    keys.type("Mostly")
    tab_to(page, "Save assessment")
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Mood check")).to_be_visible()

    listed = patients.search(actor=clinician, via="portal").items[0]
    patient = patients.get(actor=clinician, via="portal", patient_id=listed.id)
    assert (patient.full_name, patient.gender, patient.birthdate.isoformat(), patient.address_label) == (
        "Zoë Keyboard", "f", "1980-05-17", "Rue de Rivoli 1, Paris")
    assert [(a.type, a.score, [(r.question, r.answer) for r in a.rounds]) for a in patient.assessments] == [
        ("Mood check", 64, [("How is your mood?", "Better"), ("Sleeping well?", "Mostly")])]


def test_charts_keep_their_table_equivalents(page, clinician, records):
    sign_in(page)
    page.goto(f"/patients/{records['patient']}")
    chart = page.locator("svg").first
    expect(chart).to_be_visible()
    table = page.locator("table", has_text=re.compile("2024-02-10"))
    expect(table.first).to_be_attached()
    expect(table.first).to_contain_text("55")


def test_the_checker_itself_works_offline_and_sees_a_serious_violation(page):
    """axe-core comes with the package (no network here): an unlabelled field is caught."""
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><input type="text"></main></html>')
    assert any(v.startswith("label (critical)") for v in serious_violations(page))


ADMIN_FILTERS = ("/admin/audit/?flt0_actor_username_equals=alice&flt1_action_equals=update"
                 "&flt2_channel_equals=portal&flt3_at_on=2026-06-15&search=alice")


@pytest.mark.parametrize("url", ["/admin/patient/?flt0_gender_equals=f&flt1_clinician_username_is=alice",
                                 ADMIN_FILTERS])
def test_admin_list_filters_fit_a_phone_without_scrolling_the_page(page, superuser, clinician, url):
    sign_in(page, superuser.username)
    page.goto(url)
    expect(page.locator("table.filters")).to_be_visible()
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    for box in (page.locator("table.filters input, table.filters select").evaluate_all(
            "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().right)")):
        assert box <= width
