"""Writes tests/data/canola.pdf and wire.pdf, the PDFs the tests read (run by hand: needs fpdf2, not a test
dependency).

    pip install fpdf2 && python tests/data/make_pdf.py

Laid out as a printed article: a headline, a date line, justified paragraphs with their lines
broken where the PDF breaks them (one inside a hyphenated word), a paragraph that runs on to
the next page, and a page number at the foot of each page. wire.pdf is a bare wire story: no
headline in its text, its title only in the PDF's metadata.
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


def main() -> None:
    write("canola.pdf", "Canada and China strike canola deal", PAGES)
    write("wire.pdf", "Canola futures jump on tariff deal", [WIRE])


if __name__ == "__main__":
    main()
