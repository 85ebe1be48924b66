"""What the staff page's browser tests (staff_ui.py, staff_ui_genuine.py) share: their common
arguments, the ok/FAIL report, headless Debian chromium through chromium-driver, waits for a
condition (never a fixed sleep), and putting another card on the harness's reader."""
import argparse
import os
import subprocess
import sys
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


def arguments(description):
    """A parser with the arguments every staff page test takes; a test adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True, help="the page's URL jpkictl ui printed (no secret in it)")
    parser.add_argument("--launcher", required=True, help="the one-time launcher file jpkictl ui printed")
    parser.add_argument("--screenshots", required=True, help="where screenshots go")
    parser.add_argument("--harness", help="scripts/pcsc-harness.sh, to change cards")
    parser.add_argument("--dir", help="the harness directory")
    return parser


class Report:
    """Runs named checks, prints `ok`/`FAIL` lines, and goes on after a failure."""

    def __init__(self):
        self.passed, self.failed = 0, 0

    def check(self, name, fn):
        try:
            fn()
            self.passed += 1
            print(f"ok   {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the run goes on
            self.failed += 1
            print(f"FAIL {name}\n     {type(error).__name__}: {error}", flush=True)
            for line in traceback.format_exc().splitlines()[-6:]:
                print(f"     {line}")

    def finish(self, what):
        """Prints the tally and exits 1 when a check failed."""
        print(f"{what}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def chromium(screenshots):
    """Headless Debian chromium in Japanese, through chromium-driver."""
    os.makedirs(screenshots, exist_ok=True)
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=ja-JP"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    return driver


def viewport(driver, width, height):
    """The viewport, not the window, is what the page gets."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def wait_for(driver, condition, timeout, message):
    """Polls `condition` every 50 ms until it holds; a TimeoutException names `message`."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(), message)


def reader_state(driver):
    """The first reader's state as the page draws it (`empty`, `ready`, ...), or None."""
    return driver.execute_script("const r = document.querySelector('article.reader'); return r && r.dataset.state")


def put_new_card(driver, harness, directory, *sim_args, timeout=20):
    """Pulls the card, waits until the page shows the empty reader, then starts a new card with
    `sim_args` (the state file goes first: it kept the old card's counters)."""
    subprocess.run([harness, "sim-stop", directory], check=True, stdout=subprocess.DEVNULL)
    wait_for(driver, lambda: reader_state(driver) == "empty", timeout, "the page shows the empty reader")
    state = os.environ.get("JPKI_SIM_STATE")
    if state and os.path.exists(state):
        os.remove(state)
    subprocess.run([harness, "sim-start", directory, *sim_args], check=True, stdout=subprocess.DEVNULL)
