"""The dashboard in a browser, as supervisors use it: sign in per role, read the
right numbers, drill down from a finding to its events, acknowledge and close
it, be refused outside one's scope, navigate by keyboard, and see pages update
while events arrive. Screenshots of the main pages go to test-output/screenshots/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from ui_e2e_helpers import shot, sign_in

from oversight_ui.demo_data import SECRET_CASE

pytestmark = pytest.mark.e2e


def _finding_id(page, base: str, rule: str) -> str:
    rows = page.request.get(base + f"/api/findings?rule={rule}").json()["rows"]
    assert len(rows) == 1, rows
    return rows[0]["finding_id"]


def test_login_page_and_wrong_password(page, server) -> None:
    page.goto(server + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shot(page, "01-login")
    page.get_by_label("User name").fill("de")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown user name or wrong password")


def test_dpa_de_sees_its_numbers_and_only_its_findings(page, server) -> None:
    sign_in(page, server, "de")
    expect(page.locator(".tile").filter(has_text="open findings").locator(".n")).to_have_text("2")
    expect(page.locator(".tile").filter(has_text="overdue deletions").locator(".n")).to_have_text("1")
    expect(page.locator("#chart-findings")).to_be_visible()
    shot(page, "02-overview-dpa-de")
    page.get_by_role("link", name="Findings", exact=True).click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("RET-1")
    expect(page.locator("tbody")).to_contain_text("HRV-1")
    expect(page.locator("body")).not_to_contain_text(SECRET_CASE)
    shot(page, "03-findings-dpa-de")
    page.get_by_label("Severity").select_option("violation")
    page.get_by_label("Party").fill("US")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("RET-1")


def test_drill_down_acknowledge_and_close(page, server) -> None:
    sign_in(page, server, "de")
    page.goto(server + "/findings?rule=HRV-1")
    page.locator("tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("HRV-1")
    expect(page.locator(".events")).to_contain_text("ebsp.decision.recorded.v1")
    expect(page.locator(".events .badge").first).to_have_text("verified")
    expect(page.locator(".rule")).to_contain_text("LED Art. 11")
    shot(page, "04-finding-drilldown")
    page.get_by_label(re.compile("Comment")).fill("Asked the DE border police for the review record.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#finding-status")).to_have_text("acknowledged")
    expect(page.get_by_role("status").first).to_contain_text("acknowledged")
    page.get_by_label(re.compile("Comment")).fill("Review procedure corrected; closing.")
    page.get_by_role("button", name="Close finding").click()
    expect(page.locator("#finding-status")).to_have_text("closed")
    expect(page.locator(".actions li")).to_have_count(2)
    shot(page, "05-finding-closed")
    page.goto(server + "/findings?status=closed")
    expect(page.locator("tbody tr")).to_have_count(1)


def test_case_page_lists_the_case_events(page, server) -> None:
    sign_in(page, server, "de")
    page.goto(server + "/findings?rule=RET-1")
    page.get_by_role("link", name="US-2026-000001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case US-2026-000001")
    expect(page.locator(".event")).to_have_count(3)
    shot(page, "06-case-events")


def test_refused_outside_scope_pages_and_api(page, server) -> None:
    sign_in(page, server, "edps")
    secret = _finding_id(page, server, "SRC-1")
    page.goto(server + "/findings")
    shot(page, "07-findings-edps")
    sign_in(page, server, "de")
    resp = page.goto(server + f"/findings/{secret}")
    assert resp is not None and resp.status == 404
    expect(page.get_by_role("alert")).to_contain_text("No such finding in your scope")
    shot(page, "08-refused-out-of-scope")
    assert page.request.get(server + f"/api/findings/{secret}").status == 404
    assert page.request.get(server + f"/api/cases/{SECRET_CASE}/events").status == 404
    assert page.goto(server + f"/cases/{SECRET_CASE}").status == 404
    assert page.goto(server + "/audit").status == 403


def test_joint_review_sees_aggregates_only(page, server) -> None:
    sign_in(page, server, "jr")
    page.goto(server + "/findings")
    expect(page.locator(".note")).to_contain_text("Joint review sees counts")
    expect(page.locator("thead")).not_to_contain_text("Case")
    shot(page, "09-findings-joint-review")
    some = page.request.get(server + "/api/overview").json()
    assert some["open_findings"] >= 3
    assert page.request.get(server + "/api/cases/US-2026-000001/events").status == 403


def test_main_pages_render_for_edps(page, server) -> None:
    sign_in(page, server, "edps")
    for i, (path, heading) in enumerate([
            ("/volumes", "Exchange volumes"), ("/retention", "Retention clocks"),
            ("/reciprocity", "Reciprocity"), ("/review", "Human-review"), ("/onward", "Onward"),
            ("/remedies", "Remedy"), ("/nodes", "Node health"), ("/quarantine", "Quarantine")]):
        page.goto(server + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(page.locator("header .utc")).to_have_text("All times UTC")
        shot(page, f"1{i}-{path.strip('/')}")
    page.goto(server + "/")
    expect(page.locator("#chart-volumes")).to_be_visible()
    expect(page.locator("#chart-reciprocity")).to_be_visible()
    shot(page, "20-overview-edps")


def test_auditor_downloads_an_audit_bundle(page, server) -> None:
    sign_in(page, server, "aud")
    page.goto(server + "/audit")
    shot(page, "21-audit")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download bundle").click()
    assert dl.value.suggested_filename.startswith("custodes-audit-all-")


def test_keyboard_skip_link_and_focus(page, server) -> None:
    sign_in(page, server, "de")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_overview_updates_live_while_events_arrive(page, server, e2e_db) -> None:
    from oversight_ui.demo_data import quarantine_one_more

    sign_in(page, server, "fr")
    tile = page.locator(".tile").filter(has_text="quarantined").locator(".n")
    expect(tile).to_have_text("1")
    expect(page.locator("#live-status")).to_contain_text("Live", timeout=10_000)
    quarantine_one_more(e2e_db)
    expect(tile).to_have_text("2", timeout=15_000)
