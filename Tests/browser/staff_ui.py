#!/usr/bin/python3
"""Browser tests of the staff page (`jpkictl ui`) in Debian's chromium through chromium-driver
and python3-selenium. Run by Tests/system/staff-ui.sh inside scripts/pcsc-harness.sh run, with
jpkid on the simulated card behind vpcd; it changes cards with the harness. Every wait is for
a condition (WebDriverWait), never a fixed sleep. Prints `ok`/`FAIL` lines and exits 1 on any
failure. Screenshots go to --screenshots."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import staff_page  # noqa: E402 - next to this file
from staff_page import expect  # noqa: E402

parser = staff_page.arguments("The staff page in chromium: access, PINs, the verify dialog, events, print, languages.")
parser.add_argument("--ctl", help="jpkictl, to ask the running server for a new session")
parser.add_argument("--ui-log", help="jpkictl ui's log, to see a request to jpkid end")
parser.add_argument("--pcsc-client", help="Tests/system/lib/pcsc_client.py, to hold the card")
parser.add_argument("--ui-pid", type=int, help="jpkictl ui's pid, to see its requests to jpkid")
parser.add_argument("--socket", required=True, help="jpkid's socket, to compare with the API")
parser.add_argument("--jpkid-pid", type=int, help="stopped at the end to see the unreachable message")
args = parser.parse_args()

base = args.url.split("?")[0].rstrip("/")
port = int(re.search(r":(\d+)/", args.url + "/").group(1))
report = staff_page.Report()
check = report.check
figures = []


def http(path, headers=None, method="GET", body=None):
    request = urllib.request.Request(base + path, headers=headers or {}, method=method, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def cookie_header():
    """The session cookie as a Cookie header (WebDriver reads HttpOnly cookies; pages cannot)."""
    return "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())


def csrf():
    return driver.execute_script('return document.querySelector(\'meta[name="staff-token"]\').content')


def secrets():
    """Every value that would let another user in: the cookie, the CSRF token."""
    return [c["value"] for c in driver.get_cookies()] + [csrf()]


def jpkid_connections(pid):
    """Unix-socket connections the page server holds (to jpkid: its event relays and requests)."""
    out = subprocess.run(["ss", "-xpH", "state", "established"], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if f"pid={pid}," in line)


def ticket_of(launcher):
    return re.search(r'name="ticket" value="([0-9a-f]{64})"', open(launcher).read()).group(1)


def api(path):
    out = subprocess.run(
        ["curl", "-sS", "--unix-socket", args.socket, f"http://jpkid{path}"], capture_output=True, check=True
    )
    return json.loads(out.stdout)


driver = staff_page.chromium(args.screenshots)


def wait(condition, timeout=10, message="condition"):
    return staff_page.wait_for(driver, condition, timeout, message)


def size(width, height):
    staff_page.viewport(driver, width, height)


def pins():
    """{kind: (remaining, blocked, text)} as the page shows them (read in one go: the page redraws)."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('tr.pin')].map(r => [r.dataset.kind, r.dataset.remaining,"
        " r.dataset.blocked, r.innerText])")
    return {kind: (remaining, blocked, text) for kind, remaining, blocked, text in rows}


def reader_state():
    return staff_page.reader_state(driver)


def harness(*words):
    subprocess.run([args.harness, *words], check=True, stdout=subprocess.DEVNULL)


def insert_new_card(*sim_args):
    """Pulls the card, then inserts a new one (the state file kept the old card's counters)."""
    staff_page.put_new_card(driver, args.harness, args.dir, *sim_args, timeout=15)


def change_card(*sim_args):
    insert_new_card(*sim_args)
    wait(lambda: reader_state() == "ready" and pins(), 20, "the page shows the new card")


def shot(name):
    path = os.path.join(args.screenshots, name)
    driver.save_screenshot(path)
    return path


# Contrast of every visible text against its first opaque background (WCAG 2 formula).
CONTRAST_JS = r"""
function lum(c) {
  const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function rgb(s) { const m = s.match(/[\d.]+/g).map(Number); return { c: m.slice(0, 3), a: m.length > 3 ? m[3] : 1 }; }
function background(el) {
  for (let e = el; e; e = e.parentElement) {
    const b = rgb(getComputedStyle(e).backgroundColor);
    if (b.a > 0.9) return b.c;
  }
  return [255, 255, 255];
}
const bad = [];
for (const el of document.querySelectorAll("body *")) {
  if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const style = getComputedStyle(el);
  const fg = rgb(style.color).c, bg = background(el);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
  const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < need) bad.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
}
return bad;
"""

# Every control has an accessible name: its text, aria-label, or a <label>.
LABELS_JS = r"""
const bad = [];
for (const el of document.querySelectorAll("button, input, select, textarea")) {
  const name = (el.getAttribute("aria-label") || "").trim() || (el.labels && [...el.labels].map(l => l.textContent).join("").trim())
    || (el.tagName === "BUTTON" && el.textContent.trim());
  if (!name) bad.push(el.outerHTML.slice(0, 80));
}
return bad;
"""


def no_english(selector):
    """Japanese text only: no Latin words in the card's words (ids and device names excluded)."""
    # Read in one go: the page redraws on events, and an element found first may be gone when read.
    texts = driver.execute_script("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)", selector)
    words = [w for t in texts for w in re.findall(r"[A-Za-z_]{2,}", t)]
    expect(not words, f"English tokens in {selector}: {sorted(set(words))}")


try:
    # Access: nothing without a session, and a session only from the launcher file.
    def refused_without_session():
        expect(http("/")[0] == 403, "GET / without a session")
        expect(http("/?token=" + "0" * 64)[0] == 403, "a token in the URL")
        expect(http("/api/state")[0] == 403, "the API without a session")
        expect(http("/app.js")[0] == 403, "the script without a session")
        expect(http("/api/events")[0] == 403, "the event stream without a session")
        driver.get(base + "/")
        expect("forbidden" in driver.page_source and not driver.find_elements(By.ID, "readers"), "the browser got a page")

    check("without a session every request gets 403", refused_without_session)

    size(1280, 800)
    ticket = ticket_of(args.launcher)
    started = time.monotonic()
    driver.get("file://" + args.launcher)
    wait(lambda: pins(), 15, "the PINs")
    figures.append(f"launcher to PINs shown: {time.monotonic() - started:.2f} s")

    def launched():
        expect(driver.current_url == base + "/", f"the address bar shows {driver.current_url}")
        expect(not os.path.exists(args.launcher), "the launcher file is still there after its first use")
        form = f"ticket={ticket}".encode()
        status, _ = http("/session", {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"},
                         "POST", form)
        expect(status == 403, f"the spent ticket answered {status}")
        history = driver.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]
        urls = [e["url"] for e in history]
        for secret in secrets() + [ticket]:
            expect(not any(secret in u for u in urls), "a secret in the history")
        expect(not any("/session" in u for u in urls), f"the POST stays in the history: {urls}")
        figures.append(f"history: {urls}")

    check("the launcher file opens a session: the page at /, the file deleted, the ticket spent, no secret "
          "or POST in the history", launched)

    def no_secret_in_any_argv():
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            except OSError:
                continue
            found += [pid for secret in secrets() + [ticket] if secret in argv]
        expect(not found, f"a secret in the argv of {found}")

    check("no process's argv holds the cookie, the CSRF token or the ticket (the browser's included)",
          no_secret_in_any_argv)

    def reload_keeps_session():
        before = csrf()
        driver.refresh()
        wait(lambda: pins(), 15, "the PINs after a reload")
        expect(csrf() == before, "the reload made a new session")

    check("a reload keeps the session", reload_keeps_session)
    driver.execute_script("window.__noReload = 'still here'")

    def refused_for_other_hosts():
        cookie = {"Cookie": cookie_header()}
        for host in ["evil.example:%d" % port, "127.0.0.1", "localhost:1", "127.0.0.1.nip.io:%d" % port]:
            status, _ = http("/", {"Host": host, **cookie})
            expect(status == 403, f"Host {host} answered {status}")
        expect(http("/", {"Host": f"localhost:{port}", **cookie})[0] == 200, "localhost:PORT is refused")
        expect(http("/", cookie)[0] == 200, "the session cookie is refused")

    check("a Host that is not 127.0.0.1:PORT or localhost:PORT gets 403 (DNS rebinding)", refused_for_other_hosts)

    def post_needs_header_token():
        body = json.dumps({"pin": "1234", "cardId": "0" * 24}).encode()
        path = "/api/readers/r000000/pins/auth/verify"
        good = {"Cookie": cookie_header(), "X-Staff-Token": csrf(), "Content-Type": "application/json",
                "Origin": base}
        status, _ = http(path, good, "POST", body)
        expect(status not in (403, 400), f"the well-formed POST answered {status}")
        for name, value, why in [
            ("X-Staff-Token", None, "a POST with the cookie alone"),
            ("Origin", None, "a POST without an Origin"),
            ("Origin", "null", "a POST from a file: page"),
            ("Origin", "http://evil.example", "a POST from another origin"),
            ("Content-Type", "text/plain", "a POST that is not JSON (a form from another site)"),
            ("Cookie", None, "a POST with the token but no session cookie"),
        ]:
            headers = {k: v for k, v in {**good, name: value}.items() if v is not None}
            expect(http(path, headers, "POST", body)[0] == 403, why)
        no_header = {k: v for k, v in good.items() if k != "X-Staff-Token"}
        expect(http(path + "?token=" + csrf(), no_header, "POST", body)[0] == 403, "the token only in the URL")

    check("a POST needs the session cookie, the CSRF token in its header, JSON, and exactly this origin",
          post_needs_header_token)

    def loads_with_token():
        expect(driver.title == "マイナンバーカードの状態", f"title {driver.title!r}")
        expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja", "lang is not ja")

    check("with a session the page loads, in Japanese", loads_with_token)

    def default_pins():
        shown = pins()
        # The four PINs of the issue at 3/3, 5/5, 3/3, 3/3, the JUKI AP's own PIN at 3/3; the
        # card-text and card-face keys (no maximum the card reports) at the simulator's 5.
        want = {"auth": "3", "sign": "5", "card-text": "3", "juki": "3", "juki-ap": "3",
                "card-text-a": "5", "card-text-b": "5", "card-face-birth-date": "5", "card-face-a": "5",
                "card-face-b": "5"}
        expect({k: v[0] for k, v in shown.items()} == want, f"shown {shown}")
        texts = [v[2] for v in shown.values()]
        for t, expected in zip(texts, ["●●●", "●●●●●", "●●●", "●●●"]):
            expect(expected in t, f"pips {expected} missing in {t!r}")
        for t, expected in zip(texts, ["3/3", "5/5", "3/3", "3/3"]):
            expect(expected in t, f"{expected} missing in {t!r}")

    check("the default card shows PINs 3/3, 5/5, 3/3, 3/3 (pips and text)", default_pins)

    def labels_say_which_is_which():
        shown = pins()
        # Two JUKI PINs: each row names its application (reference 1).
        expect("共通カードアプリ" in shown["juki"][2], f"juki row {shown['juki'][2]!r}")
        expect("住基アプリ" in shown["juki-ap"][2], f"juki-ap row {shown['juki-ap'][2]!r}")
        # 照合番号B and the birth-date key take the birth date with its Japanese era year.
        for kind in ["card-face-b", "card-text-b", "card-face-birth-date"]:
            expect("和暦" in shown[kind][2], f"{kind} row {shown[kind][2]!r}")
        for v in shown.values():
            expect(v[2].count("生年月日6桁") == v[2].count("和暦の生年月日6桁"), f"a label without the era: {v[2]!r}")

    check("PIN labels say which JUKI PIN is which and that birth dates are in the Japanese era",
          labels_say_which_is_which)

    def every_pin_the_reader_lists():
        listed = api("/v1/readers")["readers"][0]["card"]["pins"]
        expect(set(pins()) == set(listed), f"page {set(pins())} vs jpkid {set(listed)}")

    check("the page shows every PIN the reader view lists", every_pin_the_reader_lists)

    def ca_has_no_renewal_date():
        for slot in ["auth-ca", "sign-ca"]:
            cell = driver.find_element(By.CSS_SELECTOR, f'tr[data-slot="{slot}"] td.renewable').text
            expect(not re.search(r"\d{4}-\d{2}-\d{2}", cell), f"{slot} shows {cell!r}")
        auth = driver.find_element(By.CSS_SELECTOR, 'tr[data-slot="auth"] td.renewable').text
        want = api("/v1/readers")["readers"][0]["card"]["certificates"]["auth"]["renewableFrom"]
        expect(auth == want, f"auth renewal {auth!r} != {want!r}")

    check("certificates: the auth renewal date from jpkid, none for CA certificates", ca_has_no_renewal_date)

    check("the Japanese view shows no English tokens (card, PINs, certificates, next steps)",
          lambda: no_english("article.reader h2, table.pins, table.certificates, section.next"))

    def whole_page_japanese():
        # Everything on the page and in the dialog, but the reader's device name, the card's hex
        # id and the language switch (labelled in the language it switches to).
        text = driver.execute_script(
            "const b = document.body.cloneNode(true);"
            "b.querySelectorAll('.meta, .cardid, #lang').forEach(e => e.remove()); return b.textContent")
        words = re.findall(r"[A-Za-z_]{2,}", text)
        expect(not words, f"English tokens on the page: {sorted(set(words))}")

    check("the whole Japanese page (dialog and print texts too) has no English tokens", whole_page_japanese)

    def contrast_ok():
        bad = driver.execute_script(CONTRAST_JS)
        expect(not bad, f"below WCAG AA: {bad[:5]}")

    check("every text meets WCAG AA contrast (1280x800)", contrast_ok)
    check("every control has a label", lambda: expect(not driver.execute_script(LABELS_JS), driver.execute_script(LABELS_JS)))

    def fits(width, height, name):
        size(width, height)
        wait(lambda: driver.execute_script("return innerWidth") == width)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - innerWidth")
        expect(overflow <= 0, f"{overflow}px of horizontal scrolling at {width}x{height}")
        shot(name)

    check("1280x800: no horizontal scrolling; screenshot", lambda: fits(1280, 800, "staff-ui-1280x800.png"))
    check("800x1280: no horizontal scrolling; screenshot", lambda: fits(800, 1280, "staff-ui-800x1280.png"))
    check("every text meets WCAG AA contrast (800x1280)", contrast_ok)
    size(1280, 800)

    def print_view():
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            text = driver.find_element(By.TAG_NAME, "body").text
            card = api("/v1/readers")["readers"][0]["card"]
            for cert in card["certificates"].values():
                serial = cert["serialNumber"]
                expect(serial.lower() not in text.lower(), f"serial {serial} printed")
                expect(cert["sha256Fingerprint"][:16].lower() not in text.lower().replace(":", ""), "fingerprint")
            expect(card["cardId"] not in text, "the cardId is printed")
            for personal in ["花子", "霞が関", "1990", "123456789018"]:
                expect(personal not in text, f"{personal} printed")
            expect("印刷（本人控え）" not in text and "暗証番号を確認する" not in text, "buttons are printed")
            expect("3/3" in text and "次にすること" in text, "states or next steps missing")
            shot("staff-ui-print.png")
        finally:
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    check("print view: states and next steps; no serials, cardId, buttons or personal data", print_view)

    ui_requests = []

    def verify_wrong_pin():
        driver.find_element(By.CSS_SELECTOR, "button.verify-open").click()
        wait(lambda: driver.find_element(By.ID, "verify").is_displayed())
        expect(driver.find_element(By.ID, "verify-card").text == api("/v1/readers")["readers"][0]["card"]["cardId"],
               "the dialog does not show the card's cardId")
        Select(driver.find_element(By.ID, "verify-kind")).select_by_value("auth")
        expect(driver.find_element(By.ID, "verify-pin").get_attribute("type") == "password", "not a password field")
        driver.find_element(By.ID, "verify-pin").send_keys("9999")
        driver.find_element(By.ID, "verify-go").click()
        wait(lambda: pins()["auth"][0] == "2", 10, "auth 2/3 on the page")
        result = driver.find_element(By.ID, "verify-result")
        wait(lambda: result.get_attribute("data-code") == "wrong_pin")
        expect("暗証番号が違います" in result.text, f"result {result.text!r}")
        expect(driver.find_element(By.ID, "verify-pin").get_attribute("value") == "", "the PIN stays in the field")
        expect(api("/v1/readers")["readers"][0]["card"]["pins"]["auth"]["remaining"] == 2, "jpkid disagrees")

    check("verify dialog: a wrong PIN lowers the count shown (3 -> 2) and clears the field", verify_wrong_pin)

    def final_try():
        driver.find_element(By.ID, "verify-pin").send_keys("9998")
        driver.find_element(By.ID, "verify-go").click()
        wait(lambda: pins()["auth"][0] == "1", 10, "auth 1/3")
        final = driver.find_element(By.ID, "final")
        expect(not final.is_displayed(), "the final-try warning shows too early")
        driver.find_element(By.ID, "verify-pin").send_keys("1234")
        driver.find_element(By.ID, "verify-go").click()
        wait(lambda: final.is_displayed(), 5, "the final-try confirmation")
        expect("残り1回です" in final.text, final.text)
        expect(not driver.find_element(By.ID, "final-go").is_enabled(), "the last try needs the checkbox first")
        expect(api("/v1/readers")["readers"][0]["card"]["pins"]["auth"]["remaining"] == 1, "a try was spent")
        shot("staff-ui-final-try.png")
        driver.find_element(By.ID, "final-check").click()
        driver.find_element(By.ID, "final-go").click()
        wait(lambda: pins()["auth"][0] == "3", 10, "auth back to 3/3 after the right PIN")
        expect(driver.find_element(By.ID, "verify-result").get_attribute("data-code") == "verified", "not verified")
        driver.find_element(By.ID, "verify-close").click()

    check("final try: a second, explicit confirmation before the last try; the right PIN restores 3/3", final_try)

    def no_pin_in_urls():
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        urls.append(driver.current_url)
        for pin in ["9999", "9998", "1234"]:
            expect(not any(pin in u for u in urls), f"{pin} in a URL")
        ui_requests.extend(urls)

    check("no PIN in any URL the page requested", no_pin_in_urls)
    expect(driver.execute_script("return window.__noReload") == "still here", "the page reloaded")

    if args.ctl:
        def again_opens_a_new_session():
            out = subprocess.run([args.ctl, "ui"], capture_output=True, text=True, timeout=20)
            expect(out.returncode == 0, f"jpkictl ui again exited {out.returncode}: {out.stderr}")
            launcher = re.search(r"file://(\S+)", out.stdout).group(1)
            expect(os.stat(launcher).st_mode & 0o777 == 0o600, "the launcher file is not 0600")
            first = driver.current_window_handle
            old = csrf()
            driver.switch_to.new_window("tab")
            try:
                driver.get("file://" + launcher)
                wait(lambda: pins(), 15, "the PINs in the second session")
                expect(csrf() != old, "the second launch did not open a new session")
                expect(not os.path.exists(launcher), "the second launcher file is still there")
            finally:
                driver.close()
                driver.switch_to.window(first)

        check("'jpkictl ui' run again against the running server opens a new session", again_opens_a_new_session)

    if args.pcsc_client and args.ui_log and args.ui_pid:
        def closed_tab_sends_no_pin():
            trace = os.environ["JPKI_SIM_TRACE"]
            mark = len(open(trace).read().splitlines())
            before = api("/v1/readers")["readers"][0]["card"]["pins"]["auth"]["remaining"]
            held, release = "/tmp/staff-ui-held.%d" % os.getpid(), "/tmp/staff-ui-release.%d" % os.getpid()
            for f in (held, release):
                if os.path.exists(f):
                    os.remove(f)
            holder = subprocess.Popen(["/usr/bin/python3", args.pcsc_client, "hold", "--ready-file", held,
                                       "--release-file", release], stdout=subprocess.DEVNULL)
            first = driver.current_window_handle
            try:
                WebDriverWait(driver, 20, 0.05).until(lambda d: os.path.exists(held), "the holder has the card")
                log_lines = len(open(args.ui_log).read().splitlines())
                driver.switch_to.new_window("tab")
                driver.get(base + "/")
                wait(lambda: pins(), 15, "the PINs in the tab to close")
                # Its event stream is relayed by now: the count below changes only by the verify.
                wait(lambda: driver.execute_script(
                    "return typeof events !== 'undefined' && !!events && events.readyState === 1"), 10,
                    "the tab's event stream is open")
                driver.find_element(By.CSS_SELECTOR, "button.verify-open").click()
                wait(lambda: driver.find_element(By.ID, "verify").is_displayed())
                Select(driver.find_element(By.ID, "verify-kind")).select_by_value("auth")
                driver.find_element(By.ID, "verify-pin").send_keys("9999")
                relays = jpkid_connections(args.ui_pid)
                driver.find_element(By.ID, "verify-go").click()
                # The PIN is on its way: the page server holds one more connection to jpkid, which
                # waits for the card the holder has.
                wait(lambda: jpkid_connections(args.ui_pid) > relays, 10, "the page server's verify request to jpkid")
                driver.close()
                driver.switch_to.window(first)
                # The page server passes the departure on: its request to jpkid ends (logged).
                def relay_ended():
                    return any("/pins/auth/verify abandoned" in line
                               for line in open(args.ui_log).read().splitlines()[log_lines:])
                try:
                    WebDriverWait(driver, 5, 0.05).until(lambda d: relay_ended())
                except Exception:  # noqa: BLE001 - measured below: the PIN must not reach the card either way
                    pass
                figures.append(f"closed tab: the page server ended its jpkid request: {relay_ended()}")
            finally:
                open(release, "w").close()
                holder.wait(timeout=20)
                for handle in driver.window_handles:
                    if handle != first:
                        driver.switch_to.window(handle)
                        driver.close()
                driver.switch_to.window(first)
            # jpkid's queue for the card is served in order: once a status refresh is answered,
            # an abandoned verify either went out or never will.
            api("/v1/readers/" + api("/v1/readers")["readers"][0]["id"] + "?refresh=true")
            entries = [json.loads(line) for line in open(trace).read().splitlines()[mark:] if line.strip()]
            sent = [e for e in entries if e["ins"] == 0x20 and e["dataLength"] > 0]
            after = api("/v1/readers")["readers"][0]["card"]["pins"]["auth"]["remaining"]
            figures.append(f"closed tab while the card was held: VERIFYs with a PIN {len(sent)}, auth tries "
                           f"{before} -> {after}")
            expect(not sent, f"{len(sent)} VERIFY with a PIN reached the card after its tab was closed")
            expect(after == before, f"auth tries {before} -> {after}")

        check("a PIN typed in a tab closed while another PC/SC client holds the card never reaches the card",
              closed_tab_sends_no_pin)

    if args.harness:
        def pull_and_reinsert():
            harness("sim-stop", args.dir)
            started = time.monotonic()
            wait(lambda: reader_state() == "empty", 5, "the empty reader")
            took = time.monotonic() - started
            figures.append(f"card pulled -> page updated: {took:.2f} s after PC/SC saw it")
            expect(took < 1.0, f"the removal took {took:.2f} s to show")
            expect("カードがありません" in driver.find_element(By.ID, "readers").text, "no 'no card' message")
            harness("sim-start", args.dir)
            started = time.monotonic()
            wait(lambda: reader_state() == "ready" and pins().get("auth", ("",))[0] == "3", 10, "the card back")
            took = time.monotonic() - started
            figures.append(f"card inserted -> PINs on the page: {took:.2f} s")
            expect(took < 1.0, f"the new card took {took:.2f} s to show")
            expect(driver.execute_script("return window.__noReload") == "still here", "the page reloaded")

        check("pulling and re-inserting the card updates the page without a reload", pull_and_reinsert)

        def blocked():
            change_card("--scenario", "auth-blocked")
            auth = driver.find_element(By.CSS_SELECTOR, 'tr.pin[data-kind="auth"]')
            expect(auth.get_attribute("data-blocked") == "true", "auth not blocked")
            expect("ロック中" in auth.text, f"no blocked text: {auth.text!r}")
            colour = auth.value_of_css_property("background-color")
            expect(colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), f"no colour: {colour}")
            steps = driver.find_element(By.CSS_SELECTOR, "section.next").text
            expect("ロックされています" in steps and "再設定" in steps and "窓口" in steps, steps)
            # Reference 9: a store reset of the auth PIN needs the other JPKI PIN (the sign PIN).
            expect("署名用暗証番号" in steps and "コンビニ" in steps, "the store reset with the other JPKI PIN")
            expect("時間が経っても元に戻りません" in steps, "counters never recover with time")
            no_english("article.reader h2, table.pins, table.certificates, section.next")
            shot("staff-ui-blocked-1280x800.png")
            expect(driver.execute_script("return window.__noReload") == "still here", "the page reloaded")

        check("a blocked-PIN scenario shows the blocked state (colour and text) and the reset guidance", blocked)

        def renewable():
            change_card("--scenario", "renewable")
            row = driver.find_element(By.CSS_SELECTOR, 'tr.certificate[data-slot="auth"]')
            want = api("/v1/readers")["readers"][0]["card"]["certificates"]["auth"]["renewableFrom"]
            expect(row.get_attribute("data-status") == "renewable", "not renewable")
            expect(want in row.text and "更新期間中" in row.text, f"{row.text!r} lacks {want}")
            steps = driver.find_element(By.CSS_SELECTOR, "section.next").text
            expect(want in steps, f"the next steps lack the window's start {want}")
            shot("staff-ui-renewable-1280x800.png")

        check("a renewable scenario shows the renewal window's start date", renewable)

        def unsupported_card():
            insert_new_card("--scenario", "no-jpki")
            wait(lambda: reader_state() in ("unsupported_card", "error") or driver.execute_script(
                "const r = document.querySelector('article.reader'); return r && r.dataset.kind") not in
                (None, "", "unknown", "my_number_card"), 20, "the unsupported card")
            try:
                text = driver.execute_script("return document.querySelector('article.reader').innerText")
                expect("対応していません" in text or "公的個人認証" in text, text)
                expect("置" in text, f"no next step: {text}")
                no_english("article.reader h2, article.reader .problem, section.next")
                shot("staff-ui-unsupported-1280x800.png")
            finally:
                change_card()

        check("an unsupported card: a Japanese message and the next step", unsupported_card)

    def english():
        driver.find_element(By.ID, "lang").click()
        wait(lambda: driver.title == "My Number card status")
        wait(lambda: "tries left" in driver.find_element(By.CSS_SELECTOR, "table.pins").text)
        expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "lang")
        shot("staff-ui-english-1280x800.png")
        driver.find_element(By.ID, "lang").click()
        wait(lambda: driver.title == "マイナンバーカードの状態")

    check("the English switch, and back", english)

    if args.jpkid_pid:
        def unreachable():
            os.kill(args.jpkid_pid, signal.SIGTERM)
            wait(lambda: "カード読み取りサービスに接続できません" in driver.find_element(By.ID, "problem").text, 10, "the message")
            expect("管理者" in driver.find_element(By.ID, "problem").text, "no next step")
            shot("staff-ui-unreachable.png")

        check("jpkid unreachable: a Japanese message with the next step", unreachable)
finally:
    driver.quit()

for figure in figures:
    print(f"     figure: {figure}")
report.finish("staff page in chromium")
