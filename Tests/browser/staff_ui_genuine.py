#!/usr/bin/python3
"""Browser tests of the staff page's 本人確認 (IC chip check) view in Debian's chromium. Run by
Tests/system/staff-ui-genuine.sh inside scripts/pcsc-harness.sh run, with jpkid configured with
the simulator's CVC hierarchy; it changes cards with the harness, one per verdict. Every wait is
for a condition, never a fixed sleep. Prints ok/FAIL lines and exits 1 on any failure."""
import os
import re
import subprocess
import sys

from selenium.webdriver.common.by import By

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import staff_page  # noqa: E402 - next to this file
from staff_page import expect  # noqa: E402

parser = staff_page.arguments("The staff page's 本人確認 view in chromium: one card per verdict.")
parser.add_argument("--cvc", required=True, help="the simulator's CVC hierarchy directory")
args = parser.parse_args()
if not (args.harness and args.dir):
    parser.error("--harness and --dir are required: the test changes cards")
report = staff_page.Report()
check = report.check
driver = staff_page.chromium(args.screenshots)
staff_page.viewport(driver, 1280, 900)


def wait(condition, timeout=15, message="condition"):
    return staff_page.wait_for(driver, condition, timeout, message)


def js(script, *arguments):
    return driver.execute_script(script, *arguments)


def reader_state():
    return staff_page.reader_state(driver)


def change_card(scenario):
    staff_page.put_new_card(driver, args.harness, args.dir, "--scenario", scenario, "--cvc-hierarchy", args.cvc)
    wait(lambda: reader_state() == "ready", 20, "the page shows the new card")


def set_date(element_id, value):
    # A date input takes its value through the DOM in every locale.
    js("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
       "e.dispatchEvent(new Event('input', {bubbles: true}));", element_id, value)


def run_check(birth="1990-01-02", year="2035", code="5678", photo=True):
    driver.find_element(By.ID, "genuine-open").click()
    wait(lambda: js("return !document.getElementById('genuine').hidden && !document.getElementById('genuine-go').disabled"),
         10, "the view is open with a card")
    set_date("genuine-birth", birth)
    driver.find_element(By.ID, "genuine-year").send_keys(year)
    driver.find_element(By.ID, "genuine-code").send_keys(code)
    box = driver.find_element(By.ID, "genuine-photo")
    if box.is_selected() != photo:
        box.click()
    driver.find_element(By.ID, "genuine-go").click()


def verdict():
    return js("const v = document.getElementById('genuine-verdict'); return v && v.dataset.verdict")


def status_code():
    return js("return document.getElementById('genuine-status').dataset.code || ''")


try:
    driver.get("file://" + args.launcher)
    wait(lambda: driver.current_url.startswith(args.url) and reader_state() == "ready", 20, "the page with the card")

    def japanese_by_default():
        label = driver.find_element(By.ID, "genuine-open").text
        expect(label == "本人確認（ＩＣチップ）", f"button {label!r}")
        driver.find_element(By.ID, "genuine-open").click()
        wait(lambda: driver.find_element(By.ID, "genuine").is_displayed())
        expect(driver.find_element(By.ID, "genuine-birth").get_attribute("type") == "date", "a date picker")
        expect(driver.find_element(By.ID, "genuine-code").get_attribute("type") == "password", "the code is echoed")
        expect(driver.find_element(By.ID, "genuine-title").text == "本人確認（ＩＣチップの確認）", "title")
        expect(not driver.find_element(By.ID, "genuine-photo").is_selected(), "the photo box is ticked by default")
        driver.find_element(By.ID, "genuine-close").click()

    check("the 本人確認 view: Japanese, a date picker, the security code without echo", japanese_by_default)

    def no_latin_words():
        js("document.getElementById('genuine-open').click()")
        wait(lambda: driver.find_element(By.ID, "genuine").is_displayed())
        # The card's id (hex) aside.
        text = js("return document.getElementById('genuine').innerText.replace(document.getElementById('genuine-card').innerText, '')"
                  " + document.getElementById('genuine-open').innerText")
        words = re.findall(r"[A-Za-z_]{2,}", text)
        expect(not words, f"English tokens in the Japanese view: {sorted(set(words))}")
        driver.find_element(By.ID, "genuine-close").click()

    check("the Japanese view has no English tokens", no_latin_words)

    def genuine():
        run_check()
        wait(lambda: verdict() == "genuine", 20, "the verdict")
        big = float(js("return parseFloat(getComputedStyle(document.getElementById('genuine-verdict')).fontSize)"))
        expect(big >= 32, f"the verdict in large type ({big}px)")
        expect(driver.find_element(By.ID, "genuine-verdict").text == "真正なカードです", "the Japanese verdict")
        expect(js("return document.getElementById('genuine-code').value") == "", "the code field is cleared")
        images = js("return [...document.querySelectorAll('.genuine-face img')].map(i => i.src.slice(0, 22))")
        expect(len(images) == 4 and "data:image/jp2;base64," in images, f"photo and three images: {images}")
        expect(driver.find_element(By.ID, "genuine-born").text == "1990-01-02", "birth date to compare")
        steps = js("return [...document.querySelectorAll('.genuine-steps li')].map(l => l.dataset.step + '=' + l.dataset.result)")
        expect("card-face-challenge=passed" in steps and "card-face-cvc=passed" in steps, f"steps {steps}")
        checked = js("return document.getElementById('genuine-checked').dataset.cardId")
        shown = js("return document.getElementById('genuine-card').textContent")
        expect(checked and checked in shown, f"the checked card {checked!r} beside the verdict ({shown!r})")
        driver.save_screenshot(os.path.join(args.screenshots, "staff-ui-genuine.png"))

    check("a genuine card: the verdict in large type, the photo and images beside it, the steps", genuine)

    def print_without_photo():
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            hidden = js("return getComputedStyle(document.querySelector('.genuine-photo')).display")
            expect(hidden == "none", f"the photo prints ({hidden})")
            readers = js("return getComputedStyle(document.getElementById('readers')).display")
            expect(readers == "none", "the reader list prints beside the check")
            js("document.getElementById('genuine-print-photo').click()")
            shown = js("return getComputedStyle(document.querySelector('.genuine-photo')).display")
            expect(shown != "none", "asked for, the photo still does not print")
        finally:
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            js("const b = document.getElementById('genuine-print-photo'); if (b.checked) b.click();")

    check("the print view leaves the photo out unless asked", print_without_photo)

    def english():
        driver.find_element(By.ID, "lang").click()
        wait(lambda: driver.find_element(By.ID, "genuine-open").text == "ID check (IC chip)")
        wait(lambda: driver.find_element(By.ID, "genuine-verdict").text == "Genuine card")
        expect("Compare the photo" in driver.find_element(By.ID, "genuine-next").text, "English next steps")
        driver.find_element(By.ID, "lang").click()
        wait(lambda: driver.find_element(By.ID, "genuine-open").text == "本人確認（ＩＣチップ）")
        driver.find_element(By.ID, "genuine-close").click()

    check("English too, switched in place", english)

    def card_removed():
        run_check()
        wait(lambda: verdict() == "genuine", 20, "the verdict")
        expect(js("return document.getElementById('genuine-born')"), "the birth date is shown")
        subprocess.run([args.harness, "sim-stop", args.dir], check=True, stdout=subprocess.DEVNULL)
        wait(lambda: verdict() is None, 20, "the verdict goes with the card")
        expect(not js("return document.querySelector('#genuine-result img, #genuine-born')"),
               "no photo, image or birth date of the previous customer")
        expect(js("return document.getElementById('genuine-go').disabled"), "nothing to check")
        state = os.environ.get("JPKI_SIM_STATE")
        if state and os.path.exists(state):
            os.remove(state)
        subprocess.run([args.harness, "sim-start", args.dir, "--cvc-hierarchy", args.cvc], check=True,
                       stdout=subprocess.DEVNULL)
        wait(lambda: reader_state() == "ready", 20, "the card back")
        driver.find_element(By.ID, "genuine-close").click()

    check("the card removed: the verdict and the customer's data leave the page", card_removed)

    def idle_timeout():
        js("window.jpkidGenuineIdleMs = 1500")
        try:
            run_check(photo=False)
            wait(lambda: verdict() == "genuine", 20, "the verdict")
            wait(lambda: verdict() is None, 10, "the verdict goes after the idle time")
            expect(not js("return document.getElementById('genuine-born')"), "the birth date went too")
        finally:
            js("delete window.jpkidGenuineIdleMs")
            driver.find_element(By.ID, "genuine-close").click()

    check("an idle result clears itself", idle_timeout)

    def local_refusal():
        run_check(year="35")
        wait(lambda: status_code() == "local_format", 5, "a local refusal")
        expect(driver.find_element(By.ID, "genuine-status").text == "有効期限の年を西暦4桁で入力してください。", "the year message")
        # Opening again clears the fields and the last message: the wait below cannot pass on
        # what the first refusal left.
        driver.find_element(By.ID, "genuine-open").click()
        wait(lambda: status_code() == "" and js("return document.getElementById('genuine-year').value") == "", 5,
             "open() clears the fields and the message")
        run_check(code="567")
        wait(lambda: status_code() == "local_format", 5, "a local refusal")
        text = driver.find_element(By.ID, "genuine-status").text
        expect(text == "セキュリティコードは数字4桁です。", f"the security-code message, not a stale one: {text!r}")
        driver.find_element(By.ID, "genuine-close").click()

    check("a malformed expiry year or code is refused on the page (no try spent)", local_refusal)

    def wrong_code():
        run_check(code="1111")
        wait(lambda: status_code() == "wrong_pin", 20, "the wrong-code answer")
        text = driver.find_element(By.ID, "genuine-status").text
        expect(re.search(r"[ぁ-んァ-ン一-龥]", text), f"a Japanese message: {text!r}")
        driver.find_element(By.ID, "genuine-close").click()

    check("a wrong security code says so in words", wrong_code)

    for scenario, want, words in [
        ("forged-face", "forged", "偽造の疑い"), ("cloned-chip", "forged", "偽造の疑い"),
        ("unknown-issuer", "unknown_issuer", "発行元の鍵が不明"), ("key-mismatch", "key_mismatch", "受け付けないでください"),
    ]:
        def one(scenario=scenario, want=want, words=words):
            change_card(scenario)
            run_check(photo=False)
            wait(lambda: verdict() == want, 20, f"verdict {want}")
            text = js("return document.getElementById('genuine-verdict').textContent")
            expect(words in text, f"the verdict in words: {text!r}")
            expect(not js("return document.querySelector('.genuine-photo')"), "no photo when not asked")
            expect(js("return document.getElementById('genuine-next').textContent"), "next steps")
            shown = js("return document.getElementById('genuine-result').innerText.replace("
                       "document.getElementById('genuine-checked').innerText, '')")
            words = [w for w in re.findall(r"[A-Za-z_]{2,}", shown) if w not in ("PNG",)]
            expect(not words, f"English tokens in the Japanese result: {sorted(set(words))}")
            driver.save_screenshot(os.path.join(args.screenshots, f"staff-ui-genuine-{scenario}.png"))
            driver.find_element(By.ID, "genuine-close").click()

        check(f"{scenario}: the page shows {want} and what to do", one)
finally:
    driver.quit()

report.finish("staff page genuine view")
