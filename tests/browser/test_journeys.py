"""A clinician's day in the portal, in a real browser, on a phone and on a desktop."""
import re

import pytest
from playwright.sync_api import expect

from healthpal.domain import clock
from tests import factories
from tests.toolkit import browser_sign_in

pytestmark = pytest.mark.browser


def test_sign_in_then_manage_a_patient_and_an_assessment(page, clinician):
    browser_sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    expect(page.get_by_text("Alice Adams", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("No patients yet")).to_be_visible()

    # A new patient: a mistake in the phone number, shown by the field, then fixed.
    page.get_by_role("button", name="Add your first patient").click()
    page.get_by_label("Full name").fill("Amélie Laurent")
    page.get_by_label("Gender").select_option("f")
    page.get_by_label("Birthdate").fill("1980-05-17")
    page.get_by_label("Phone").fill("555-0100")
    page.get_by_label("Google Place ID").fill("ChIJN1t_tDeuEmsRUsoyG83frY4")
    page.get_by_role("button", name="Add patient").click()
    expect(page.locator("#phone-error")).to_have_text(re.compile("Phone number must be 1 to 15 digits"))
    expect(page.get_by_label("Phone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value("Amélie Laurent")
    page.get_by_label("Phone").fill("5550100")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="Amélie Laurent")).to_be_visible()
    expect(page.get_by_text("Amélie Laurent was added.")).to_be_visible()

    # An assessment with three rounds added in place, one of them removed again.
    page.get_by_role("button", name="Add assessment").click()
    expect(page.get_by_label("Date")).to_have_value(clock.today().isoformat())
    page.get_by_label("Type").fill("Cognitive test")
    page.get_by_label("Score").fill("85")
    questions, answers = page.get_by_label("Question", exact=True), page.get_by_label("Answer", exact=True)
    expect(questions).to_have_count(1)
    url_before = page.url
    page.get_by_role("button", name="Add question").click()
    page.get_by_role("button", name="Add question").click()
    expect(questions).to_have_count(3)
    assert page.url == url_before  # no page load
    expect(questions.nth(2)).to_be_focused()
    for n in range(3):
        questions.nth(n).fill(f"Question {n + 1}?")
        answers.nth(n).fill(f"Answer {n + 1}")
    page.get_by_role("button", name="Remove").nth(1).click()
    expect(questions).to_have_count(2)
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text(f"Cognitive test of {clock.today().isoformat()} was saved.")).to_be_visible()
    expect(page.locator(".qna .question")).to_have_text(["Question 1?", "Question 3?"])

    # The history and the chart on the patient page.
    page.get_by_role("link", name="Amélie Laurent").click()
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Cognitive test")
    expect(history.first).to_contain_text("85")
    expect(page.locator("svg.trend circle.trend-point")).to_have_count(1)
    expect(page.locator("svg.trend circle.trend-point title")).to_have_text(
        f"{clock.today().isoformat()}: score 85")

    # Search the list by typing part of the name; reload keeps the search.
    factories.make_patient(clinician, full_name="Jonas Müller")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    patients = page.locator("table.patients tbody tr")
    expect(patients).to_have_count(2)
    page.get_by_label("Search by name, phone or date of birth").press_sequentially("laur", delay=30)
    expect(patients).to_have_count(1)
    expect(patients.first).to_contain_text("Amélie Laurent")
    expect(page).to_have_url(re.compile(r"/\?q=laur$"))
    page.reload()
    expect(page.get_by_label("Search by name, phone or date of birth")).to_have_value("laur")
    expect(patients).to_have_count(1)

    # Edit the patient.
    page.get_by_role("link", name="Amélie Laurent").click()
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Phone").fill("5559999")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The patient's details were saved.")).to_be_visible()
    expect(page.get_by_role("link", name="5559999")).to_be_visible()

    # Delete it, after a confirmation that names the assessments going with it.
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("This also deletes their 1 assessment.")).to_be_visible()
    page.get_by_role("button", name="Delete patient").click()
    expect(page.get_by_text("Amélie Laurent and their assessments were deleted.")).to_be_visible()
    expect(patients).to_have_count(1)
    expect(patients.first).to_contain_text("Jonas Müller")

    # Sign out: the portal is closed again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_back_button_returns_to_the_search(page, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent")
    factories.make_patient(clinician, full_name="Jonas Müller")
    browser_sign_in(page, "alice")
    page.get_by_label("Search by name, phone or date of birth").press_sequentially("jon", delay=30)
    expect(page).to_have_url(re.compile(r"/\?q=jon$"))
    page.get_by_role("link", name="Jonas Müller").click()
    expect(page.get_by_role("heading", name="Jonas Müller")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Search by name, phone or date of birth")).to_have_value("jon")
    expect(page.locator("table.patients tbody tr")).to_have_count(1)


def test_keyboard_user_can_skip_to_the_content(page, clinician):
    browser_sign_in(page, "alice")
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
