#!/usr/bin/env python3
"""Opens an actlab report.html in headless Chromium (Debian's chromium + chromium-driver, driven
by Selenium) and checks it as a reader would see it.

    check-report-html.py REPORT_HTML SCREENSHOT_DIR

- the page loads with no console errors and makes no network request (the browser's resource
  timing list is empty: everything is inline);
- every plot is drawn: a screenshot of each inline SVG has a non-blank region (at least 2% of
  its pixels differ from the background, in at least 3 colours);
- every compared row of the leaderboard's verdict column is one of the four verdicts;
- every row's rank cell reads "rank (low–high)" with low ≤ rank ≤ high, the ranks are those
  of the rows' mean accuracies, and the intervals cover 1 … rows between them;
- clicking the leaderboard's "mean acc" header sorts its rows by that column (ascending, then
  descending on a second click), checked against the numbers in the cells;
- the claims section is there, and every run link points at an existing run directory.

Exit status 0 when everything holds; otherwise a message on stderr and status 1.
"""

import io
import os
import sys
import tempfile
import urllib.parse
import urllib.request

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def fail(message):
    print(f"check-report-html: {message}", file=sys.stderr)
    sys.exit(1)


def number(text):
    text = text.strip().replace("\u2212", "-").lstrip("[(")
    head = ""
    for c in text:
        if c.isdigit() or c in "+-.eE":
            head += c
        else:
            break
    return float(head)


def main():
    if len(sys.argv) != 3:
        fail("usage: check-report-html.py REPORT_HTML SCREENSHOT_DIR")
    page, shots = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="actlab-chromium-")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.get("file://" + urllib.request.pathname2url(page))
        if driver.execute_script("return document.readyState") != "complete":
            fail("the page did not finish loading")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            fail(f"console errors: {errors}")
        requests = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        if requests:
            fail(f"the page requested {requests}")
        driver.save_screenshot(os.path.join(shots, "report.png"))

        # Plots drawn.
        plots = driver.find_elements(By.CSS_SELECTOR, "figure.plot")
        if len(plots) < 3:
            fail(f"only {len(plots)} plots on the page")
        for figure in plots:
            name = figure.get_attribute("data-file")
            svg = figure.find_element(By.TAG_NAME, "svg")
            driver.execute_script("arguments[0].scrollIntoView()", svg)
            image = Image.open(io.BytesIO(svg.screenshot_as_png)).convert("RGB")
            image.save(os.path.join(shots, name.replace(".svg", ".png")))
            total = image.width * image.height
            counts = image.getcolors(maxcolors=total)  # [(count, colour)]
            background = max(counts)[0]
            drawn = total - background
            colours = len(counts) - 1
            if drawn < 0.02 * total or colours < 3:
                fail(f"{name} looks blank: {drawn} of {total} pixels drawn, {colours} colours")

        # Sorting the leaderboard by "mean acc".
        table = None
        for candidate in driver.find_elements(By.CSS_SELECTOR, "table.sortable"):
            headers = [th.text for th in candidate.find_elements(By.TAG_NAME, "th")]
            if any(h.startswith("mean acc") for h in headers) and "activation" in headers:
                table = candidate
                break
        if table is None:
            fail("no leaderboard with a 'mean acc' column")
        headers = table.find_elements(By.TAG_NAME, "th")
        column = next(i for i, th in enumerate(headers) if th.text.startswith("mean acc"))

        def rows():
            out = []
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
                cells = tr.find_elements(By.TAG_NAME, "td")
                out.append((cells[0].text, number(cells[column].text)))
            return out

        before = rows()
        if len(before) < 2:
            fail("the leaderboard has fewer than 2 rows")
        headers[column].click()
        ascending = rows()
        if [v for _, v in ascending] != sorted(v for _, v in before):
            fail(f"after one click the rows are not ascending: {ascending}")
        if sorted(ascending) != sorted(before):
            fail("sorting lost or changed rows")
        headers[column].click()
        descending = rows()
        if [v for _, v in descending] != sorted((v for _, v in before), reverse=True):
            fail(f"after two clicks the rows are not descending: {descending}")
        if headers[column].get_attribute("aria-sort") != "descending":
            fail("the header does not show the sort order")

        # The verdict column: every compared row ends in one of the four verdicts.
        names = [th.text for th in headers]
        if "verdict" not in names:
            fail(f"no verdict column in {names}")
        at = names.index("verdict")
        verdicts = []
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
            cells = tr.find_elements(By.TAG_NAME, "td")
            word = cells[at].text.strip()
            if word:
                verdicts.append(word)
                if word.split(" ")[0] not in ("better", "worse", "equivalent", "undecided"):
                    fail(f"{cells[0].text}: {word!r} is not one of the four verdicts")
        if not verdicts:
            fail("no row has a verdict")
        print(f"verdicts: {'; '.join(verdicts)}")

        # The rank column: "2 (1–6)" or "3 (3)", consistent with the means.
        rank_at = next((i for i, n in enumerate(names) if n.startswith("rank")), None)
        if rank_at is None:
            fail(f"no rank column in {names}")
        ranks = []
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
            cells = tr.find_elements(By.TAG_NAME, "td")
            text = cells[rank_at].text.strip()
            head, _, interval = text.partition(" ")
            if not head.isdigit() or not (interval.startswith("(") and interval.endswith(")")):
                fail(f"{cells[0].text}: rank cell {text!r} is not 'rank (low–high)'")
            bounds = interval[1:-1].split("\u2013")
            low, high = int(bounds[0]), int(bounds[-1])
            rank = int(head)
            if not low <= rank <= high:
                fail(f"{cells[0].text}: rank {rank} outside its interval {low}–{high}")
            ranks.append((number(cells[column].text), rank, low, high, text))
        means = [m for m, *_ in ranks]
        for mean, rank, *_ in ranks:
            if rank != 1 + sum(1 for m in means if m > mean + 0.005):
                fail(f"rank {rank} is not the rank of mean {mean} among {means}")
        if min(low for *_, low, _, _ in ranks) != 1 or max(high for *_, high, _ in ranks) > len(ranks):
            fail(f"rank intervals {[r[-1] for r in ranks]} do not lie in 1…{len(ranks)}")
        print(f"ranks: {'; '.join(r[-1] for r in ranks)}")

        # Claims and run links.
        text = driver.find_element(By.TAG_NAME, "body").text
        if "The article's claims" not in text:
            fail("no claims section")
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "td a")]
        if not links:
            fail("no links to run directories")
        for link in links:
            path = urllib.request.url2pathname(urllib.parse.urlparse(link).path)
            if not os.path.isfile(os.path.join(path, "summary.json")):
                fail(f"{link} is not a run directory")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            fail(f"console errors after clicking: {errors}")
        print(f"report.html: {len(plots)} plots drawn, leaderboard of {len(before)} rows sorts by "
              f"'mean acc' both ways, {len(links)} run links, no console errors, no requests")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
