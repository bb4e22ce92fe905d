"""What a first-time user ran into, in a real browser on a phone: the admin banner readable on
the red header, every tap target of the queue and the item page at least 44 px, unit codes
beside unit names where staff pick units."""

from urllib.parse import quote

import pytest

from intake.extensions import db
from intake.program import services
from tests.browser.test_triage import make_items, sign_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

SMALL_TAP_TARGETS = """[...document.querySelectorAll(
  'main select, main button, main textarea, main label.choice, main a.button, main summary,'
  + ' main input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
  .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
  .map(el => el.outerHTML.slice(0, 90))"""

# The contrast ratio (WCAG) of a banner put where the app puts it, in the staff header.
BANNER_CONTRAST = """() => {
  const nav = document.querySelector('.staff-nav');
  const p = document.createElement('p');
  p.className = 'banner warning';
  p.textContent = 'x';
  nav.appendChild(p);
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(rgb(getComputedStyle(p).color)), b = lum(background(p));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_staff_pages_on_a_phone_are_readable_and_tappable(app, live_server, phone_page, users):
    [(item_id, _code)] = make_items(app, ("路灯不亮", "东街路灯坏了一个月"))
    page = phone_page
    sign_in(page, live_server)
    small = page.evaluate(SMALL_TAP_TARGETS)
    assert small == [], f"queue: {small}"
    assert "[zwfw]" in page.locator("#unit").inner_text()  # unit codes where staff filter units
    page.goto(f"{live_server}/staff/items/{item_id}")
    small = page.evaluate(SMALL_TAP_TARGETS)
    assert small == [], f"item: {small}"
    assert "[zwfw]" in page.locator("#route-form select[name=unit_id], form select[name=unit_id]").first.inner_text()
    assert page.evaluate(BANNER_CONTRAST) >= 4.5


# The staff header on a phone: the sections in one row that scrolls sideways, the account's links
# in a second, any banner below them; every link still there and reachable.
HEADER = """() => {
  const header = document.querySelector('.site-header');
  const links = document.querySelector('.staff-links');
  return {
    height: header.getBoundingClientRect().height
      - [...header.querySelectorAll('.banner')].reduce((sum, b) => sum + b.getBoundingClientRect().height, 0),
    rows: new Set([...links.querySelectorAll('a')].map(a => Math.round(a.getBoundingClientRect().top))).size,
    scrolls: links.scrollWidth > links.clientWidth && getComputedStyle(links).overflowX === 'auto',
    names: [...document.querySelectorAll('.staff-nav a')].map(a => a.textContent.trim()),
    small: [...document.querySelectorAll('.site-header a, .site-header button, .site-footer a, p.nav-link a, .filters a')]
      .filter(el => el.getBoundingClientRect().height < 44).map(el => el.textContent.trim()),
  };
}"""


def test_the_staff_header_on_a_phone_keeps_the_first_screen_for_the_page(app, live_server, phone_page, users):
    page = phone_page
    sign_in(page, live_server, "admin")
    header = page.evaluate(HEADER)
    assert header["rows"] == 1 and header["scrolls"], header
    assert header["small"] == [], header  # the header's and footer's links are taps too
    # Without its banners the header was 238 px for an admin on a 390 px wide phone (six rows of
    # links, most 23 px tall), now 156: the brand and languages, the sections, the account.
    assert header["height"] < 170, header
    for name in ("待办队列", "整改台账", "用户", "系统", "修改密码"):
        assert name in header["names"], header["names"]
    page.locator(".staff-links a", has_text="系统").click()  # scrolled into view and tappable
    page.wait_for_url("**/admin/system")


def test_the_lottery_pool_on_a_phone_is_one_column(app, live_server, phone_page):
    """Two columns of an <ol> on a phone put the second column's numbers on the first column's
    names ("县综合行政执法局15."): one column there."""
    with app.app_context():
        services.create_cycle(2027)
        services.commit_draw(2027, 2, "福彩3D 第2027095期 开奖号码", "N N N")
        db.session.commit()
    phone_page.goto(f"{live_server}/program/2027")
    lefts = phone_page.evaluate("[...document.querySelectorAll('#pool li')].map(li => li.getBoundingClientRect().left)")
    assert len(lefts) > 10 and len(set(lefts)) == 1, lefts


def test_a_table_on_a_phone_says_which_column_each_value_is(app, live_server, phone_page, users):
    """The queue's headings are hidden on a phone (its rows are cards): each value says its
    column ("状态：待受理"), not a bare "— — 网站留言 — 待受理"."""
    make_items(app, ("路灯不亮", "东街路灯坏了一个月"))
    sign_in(phone_page, live_server)
    cells = phone_page.evaluate(
        """[...document.querySelectorAll('table.queue tbody td[data-label]')]
             .map(td => getComputedStyle(td, '::before').content + ' ' + td.textContent.trim())"""
    )
    assert any(c.startswith('"状态："') and "待受理" in c for c in cells), cells


def test_a_chart_on_a_phone_keeps_a_readable_size_in_its_own_scrolling_box(live_server, phone_page):
    """A 640 px chart shrunk to a phone's width had 6–7 px labels: it keeps 560 px and its box
    scrolls, the page does not."""
    svg = "data:image/svg+xml," + quote(
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320"><text x="10" y="20">满意</text></svg>'
    )
    phone_page.goto(f"{live_server}/jiandu/")  # a page of the app, for its stylesheet
    phone_page.evaluate(
        """svg => { const main = document.querySelector('main');
                    main.insertAdjacentHTML('afterbegin',
                      `<div class="chart"><img class="chart" id="c1" src="${svg}"></div>` +
                      `<div class="chart-pair"><img id="c2" src="${svg}"><img id="c3" src="${svg}"></div>`); }""",
        svg,
    )
    widths = phone_page.evaluate(
        "['c1', 'c2', 'c3'].map(id => document.getElementById(id).getBoundingClientRect().width)"
    )
    assert min(widths) >= 560, widths
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
