"""Writes the PDFs the tests read into tests/data/ (run by hand; fpdf2 is not a test dependency).

    pip install fpdf2 && python tests/data/make_pdf.py            # all three
    python tests/data/make_pdf.py printed.pdf                     # one (printed.pdf needs only Chromium)

Laid out as a printed article: a headline, a date line, justified paragraphs with their lines
broken where the PDF breaks them (one inside a hyphenated word), a paragraph that runs on to
the next page, and a page number at the foot of each page. wire.pdf is a bare wire story: no
headline in its text, its title only in the PDF's metadata. printed.pdf is a news page saved
with a browser's "Save as PDF" (Chromium, as the browser tests drive it): the print time and
page title at the head of each page, the address and "1/2" at its foot, a byline with the date.
"""

from pathlib import Path

PAGES = [
    [
        "Canada and China strike canola deal",
        "",
        "Date: 2026-01-16",
        "",
        "Canada will lower its 100% tariff on Chinese-made electric vehicles to 6.1% for a quota",
        "of 49,000 cars a year, Prime Minister Mark Carney said on Friday after meeting President",
        "Xi Jinping in Beijing.",
        "",
        "China, in turn, will cut its tariffs on Canadian canola seed to about 15% by March 1, a",
        "relief for prairie farmers who had lost their largest export market. Officials in Beijing",
        "called the agreement a new chapter in relations between the two countries, which had",
    ],
    [
        "soured after the arrest of a Huawei executive in 2018. The canola growers' association",
        "said the deal came too late for last year's harvest, much of which was sold at a loss to",
        "buyers in the Middle East.",
        "",
        "Economists expect trade between the two countries to recover within two years, although",
        "the agreement leaves steel and aluminium duties un-",
        "changed until a review next spring.",
    ],
]


WIRE = [
    "Canola futures rose 4% in Winnipeg on Friday after Canada and China agreed to cut tariffs on each",
    "other's goods, the biggest one-day gain since the dispute began.",
]


def write(name: str, title: str, pages: list[list[str]]) -> None:
    from fpdf import FPDF  # imported here: collecting the tests imports this file

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        for line in lines:
            pdf.set_font("Helvetica", size=11)
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-20)
        pdf.cell(0, 6, str(number), align="C")
    out = Path(__file__).with_name(name)
    pdf.output(str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


PRINTED = [
    "Canada will lower its 100% tariff on Chinese-made electric vehicles to 6.1% for a quota of 49,000 cars "
    "a year, Prime Minister Mark Carney said on Friday after meeting President Xi Jinping in Beijing.",
    "China, in turn, will cut its tariffs on Canadian canola seed to about 15% by March 1, a relief for prairie "
    "farmers who had lost their largest export market. Officials in Beijing called the agreement a new chapter "
    "in relations between the two countries, which had soured after the arrest of a Huawei executive in 2018.",
]


def printed(name: str) -> None:
    from playwright.sync_api import sync_playwright

    paragraphs = "".join(f"<p>{p}</p>" for p in PRINTED * 6)  # long enough for two pages
    page_html = (
        "<html><head><title>Canada and China strike canola deal - Example News</title></head>"
        "<body style='font-family: serif; width: 640px'><h1>Canada and China strike canola deal</h1>"
        f"<p>By Jane Doe · January 16, 2026</p>{paragraphs}</body></html>"
    )
    out = Path(__file__).with_name(name)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content(page_html)
        page.pdf(path=str(out), display_header_footer=True, format="A4", margin={"top": "60px", "bottom": "60px"})
        browser.close()
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def main() -> None:
    import sys

    made = {
        "canola.pdf": lambda: write("canola.pdf", "Canada and China strike canola deal", PAGES),
        "wire.pdf": lambda: write("wire.pdf", "Canola futures jump on tariff deal", [WIRE]),
        "printed.pdf": lambda: printed("printed.pdf"),
    }
    for name in sys.argv[1:] or made:
        made[name]()


if __name__ == "__main__":
    main()
