"""The leads, agreement and data-quality pages in a real browser: they load clean, the grid
follows the URL's filters, a lead's timeline opens, and hostile text stays text."""
from __future__ import annotations

from dashboard.components.filters import ViewFilters
from tests.agreements import AGREEMENT_PATH, frozen_agreement
from tests.browser.conftest import free_port
from tests.hostile_fixture import FORMULA, SCRIPT
from tests.pages.tree import of_type, page

SUMMARY = "#leads-summary"
FIRST_ROW = ".leads-grid .ag-center-cols-container .ag-row[row-index='0']"


def _serve(dash_duo, settings):
    """Serve a fresh app on a free port and wait for its start page to settle."""
    from dashboard.application import create_app

    app = create_app(settings)
    dash_duo.start_server(app, port=free_port())
    _settled(dash_duo, timeout=60)  # the start page's callbacks finish before the test moves on
    return app


def _settled(dash_duo, timeout: float = 30) -> list:
    """The browser's log once no callback is running (the server stops right after a test)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(dash_duo.driver, timeout).until(lambda driver: driver.execute_script(
        "return !!window.store && window.store.getState().isLoading === false"))
    return dash_duo.get_logs()


def _rows_computed(app, **filters) -> list[dict]:
    """The grid rows the page's callback computes for these filters (no narrowing)."""
    with app.server.test_request_context():
        body = page("leads").update_leads(ViewFilters(**filters).to_dict(), {})
    return of_type(body, "AgGrid")[0].rowData


def test_lq001_the_grid_follows_the_filters_in_the_url_and_a_click_opens_a_timeline(dash_duo, demo_settings):
    """All leads of the default range, then ?segment=Enterprise: fewer rows, all Enterprise; a
    click on a row opens that lead's timeline."""
    app = _serve(dash_duo, demo_settings)
    everyone = len(_rows_computed(app))
    enterprise = len(_rows_computed(app, segments=("Enterprise",)))
    assert 0 < enterprise < everyone

    dash_duo.wait_for_page(dash_duo.server_url + "/leads")
    dash_duo.wait_for_contains_text(SUMMARY, f"{everyone:,} leads.", timeout=30)
    dash_duo.wait_for_element(FIRST_ROW, timeout=30)

    dash_duo.driver.get(dash_duo.server_url + "/leads?segment=Enterprise")
    dash_duo.wait_for_contains_text(SUMMARY, f"{enterprise:,} leads.", timeout=30)
    dash_duo.wait_for_element(FIRST_ROW, timeout=30)
    segments = {cell.text for cell in dash_duo.find_elements(".leads-grid .ag-cell[col-id='segment']")}
    assert segments == {"Enterprise"}
    assert "Enterprise" in dash_duo.find_element("#filter-segment").text

    lead = dash_duo.find_element(".leads-grid .ag-pinned-left-cols-container .ag-row[row-index='0'] .ag-cell").text
    dash_duo.find_element(FIRST_ROW + " .ag-cell[col-id='created']").click()
    dash_duo.wait_for_text_to_equal(".offcanvas-title", f"Timeline of lead {lead}", timeout=30)
    dash_duo.find_element("button.btn-outline-secondary").click()  # Download CSV: no error either
    assert _settled(dash_duo) == []


def test_lq002_a_lead_in_the_url_opens_its_timeline(dash_duo, demo_settings):
    """/leads?lead=<id> shows that one lead and its timeline, whatever the date range."""
    from dashboard.data import dataset_for

    data = dataset_for(demo_settings)
    won = data.deals[data.deals["is_won"].fillna(False).astype(bool) & data.deals["lead_id"].notna()]
    lead_id = int(won["lead_id"].iloc[0])
    external_id = data.leads.set_index("id").loc[lead_id, "external_id"]
    _serve(dash_duo, demo_settings)

    dash_duo.wait_for_page(dash_duo.server_url + f"/leads?lead={lead_id}")
    # the panel slides in: wait for its text rather than reading it mid-way
    dash_duo.wait_for_text_to_equal(".offcanvas-title", f"Timeline of lead {external_id}", timeout=30)
    dash_duo.wait_for_contains_text(f"#timeline-{lead_id}", "Lead created", timeout=30)
    dash_duo.wait_for_contains_text(f"#timeline-{lead_id}", "Deal won", timeout=30)
    dash_duo.wait_for_contains_text(SUMMARY, "1 lead.", timeout=30)
    assert _settled(dash_duo) == []


def test_lq003_the_agreement_page_shows_every_commitment(dash_duo, demo_settings):
    _serve(dash_duo, demo_settings)
    dash_duo.wait_for_page(dash_duo.server_url + "/agreement")
    dash_duo.wait_for_text_to_equal("#agreement-next-review", "Quarterly; next review Tue 12 Jan 2027 (in 53 days)",
                                    timeout=30)
    for commitment in frozen_agreement().commitments:
        card = dash_duo.find_element(f"#agreement-{commitment.id}")
        assert commitment.id in card.find_element("css selector", ".commitment-id").text
    assert dash_duo.find_element("#agreement-source").text == str(AGREEMENT_PATH)
    assert _settled(dash_duo) == []


def test_lq004_a_data_quality_example_opens_its_lead(dash_duo, demo_settings):
    """The report loads; following an example's link shows that lead's timeline."""
    _serve(dash_duo, demo_settings)
    dash_duo.wait_for_page(dash_duo.server_url + "/data-quality")
    dash_duo.wait_for_contains_text("#quality-summary", "rules have findings", timeout=30)
    link = dash_duo.find_element("#quality-inferred_sal td.examples a")
    lead_id = link.get_attribute("href").rsplit("lead=", 1)[1]
    external_id = link.text
    link.click()
    dash_duo.wait_for_element(f"#timeline-{lead_id}", timeout=30)
    dash_duo.wait_for_text_to_equal(".offcanvas-title", f"Timeline of lead {external_id}", timeout=30)
    assert _settled(dash_duo) == []


def test_lq005_hostile_text_is_shown_as_text(dash_duo, hostile_settings):
    """A lead named <script>…</script> and a source =HYPERLINK(…) show literally; no script
    runs (an alert would break the session); CSV cells that look like formulas are defused."""
    _serve(dash_duo, hostile_settings)
    dash_duo.wait_for_page(dash_duo.server_url + "/leads")
    dash_duo.wait_for_element(FIRST_ROW, timeout=30)
    pinned = [cell.text for cell in dash_duo.find_elements(".leads-grid .ag-pinned-left-cols-container .ag-cell")]
    assert SCRIPT in pinned and FORMULA in pinned
    assert FORMULA in [cell.text for cell in dash_duo.find_elements(".leads-grid .ag-cell[col-id='source']")]
    csv_cell = dash_duo.driver.execute_script(
        "return [window.dashAgGridFunctions.csvSafeCell({value: arguments[0]}),"
        " window.dashAgGridFunctions.csvSafeCell({value: 'Acme'})]", FORMULA)
    assert csv_cell == ["'" + FORMULA, "Acme"]

    dash_duo.wait_for_page(dash_duo.server_url + "/leads?lead=1")
    dash_duo.wait_for_contains_text("#timeline-1", SCRIPT, timeout=30)
    assert dash_duo.driver.find_elements("css selector", "#timeline-1 script, #timeline-1 img") == []
    assert _settled(dash_duo) == []
