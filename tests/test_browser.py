"""Does a person in a real browser see an entity, the timeline and the command-chain diagram?

Debian's chromium driven by Playwright for Python (never `playwright install`: no browser is downloaded). One
screenshot of each page is kept in tests/artifacts/ (gitignored) and docs/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.server_helpers import ROOT, dist_folder, require_chromium, running_server

ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    with running_server(dist_folder(request), timeout=5.0, workers=2) as url:
        yield url


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    chromium = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        # the pages must need nothing from the internet: fail any request that leaves 127.0.0.1
        outside: list[str] = []
        context.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
                      if not route.request.url.startswith("http://127.0.0.1") else route.continue_())
        pg = context.new_page()
        yield pg
        context.close()
        assert not outside, f"pages tried to fetch from outside: {outside}"


def keep(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot), full_page=False)  # type: ignore[attr-defined]
    shutil.copyfile(shot, SCREENSHOTS / name)


def test_an_entity_page_shows_its_facts_and_switches_to_thai(page: object, base: str) -> None:
    pg = page
    pg.goto(base + "order-of-battle")  # type: ignore[attr-defined]
    first_unit = pg.locator("svg.oob a").first  # type: ignore[attr-defined]
    first_unit.click()
    pg.wait_for_url("**/id/unit/**.html")  # type: ignore[attr-defined]
    assert pg.locator("h1").inner_text().strip()  # type: ignore[attr-defined]
    assert pg.locator("table.facts td.src a[href*='/id/passage/']").count() > 0  # type: ignore[attr-defined]
    keep(pg, "entity.png")
    pg.get_by_role("link", name="ไทย").click()  # type: ignore[attr-defined]
    pg.wait_for_url("**lang=th**")  # type: ignore[attr-defined]
    assert pg.locator("html").get_attribute("lang") == "th"  # type: ignore[attr-defined]


def test_the_timeline_lists_events_in_date_order(page: object, base: str) -> None:
    pg = page
    pg.goto(base + "timeline")  # type: ignore[attr-defined]
    dates = pg.locator("li.event time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")  # type: ignore[attr-defined]
    assert len(dates) >= 3
    assert dates == sorted(dates)
    assert pg.get_by_text("1938").count() > 0  # type: ignore[attr-defined]
    keep(pg, "timeline.png")


def test_the_command_chain_diagram_highlights_a_units_superiors(page: object, base: str) -> None:
    pg = page
    pg.goto(base + "order-of-battle")  # type: ignore[attr-defined]
    assert pg.locator("svg.oob g.unit").count() >= 3  # type: ignore[attr-defined]
    options = pg.locator("select[name=unit] option")  # type: ignore[attr-defined]
    # a unit with a superior: pick one whose box has an incoming edge, i.e. the chain has two levels or more
    for i in range(options.count()):
        pg.select_option("select[name=unit]", index=i)  # type: ignore[attr-defined]
        pg.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
        pg.wait_for_load_state()  # type: ignore[attr-defined]
        if pg.locator("svg.oob g.unit.chain").count() >= 2:  # type: ignore[attr-defined]
            break
    assert pg.locator("svg.oob g.unit.chain").count() >= 2  # type: ignore[attr-defined]
    assert pg.locator("section.chain table tbody tr").count() >= 2  # type: ignore[attr-defined]
    keep(pg, "order-of-battle.png")


def test_screenshots_were_kept() -> None:
    for name in ("entity.png", "timeline.png", "order-of-battle.png"):
        if not (ARTIFACTS / name).exists():
            pytest.skip("the browser tests did not run")
        assert (SCREENSHOTS / name).stat().st_size > 10_000

