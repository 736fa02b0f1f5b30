"""The admin and Swagger UI work in a real browser under their Content-Security-Policy (the `page`
fixture fails a test on any policy violation, script error or failed asset)."""
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.toolkit import browser_sign_in

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_the_api_under_its_policy(page):
    page.goto("/api/docs/", timeout=30_000)                  # a 1.5 MB bundle, on a busy test machine
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Healthpal", timeout=30_000)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()


def test_the_admin_works_under_its_policy(page, superuser, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient)
    browser_sign_in(page, "root")
    page.goto("/admin/assessment/")
    page.get_by_role("link", name="Add Filter").click()
    page.get_by_role("link", name="Type", exact=True).first.click()
    expect(page.locator("table.filters")).to_be_visible()
    page.goto("/admin/assessment/new/")
    page.get_by_role("button", name="Add Q&A round").click()
    expect(page.locator("textarea[name$='question']")).to_have_count(2)
    page.goto(f"/admin/patient/edit/?id={patient.id}")
    page.locator(".select2-container").first.click()
    page.keyboard.type("ali")
    expect(page.locator(".select2-results")).to_contain_text("alice")
    page.goto("/admin/user/?search=alice")                   # a bulk action runs from an inline onclick
    page.locator("input.action-checkbox").first.check()
    page.get_by_role("button", name="With selected").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Deactivate").click()
    expect(page.locator(".alert")).to_contain_text("1 user(s) deactivated")
