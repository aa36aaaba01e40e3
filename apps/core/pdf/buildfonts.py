"""Rebuild the fonts shipped in apps/core/pdf/fonts/ (a developer tool, not used at run time).

    python -m apps.core.pdf.buildfonts

The sources are the OFL-licensed Noto variable fonts from the pinned `fontpkg-noto-sans` and
`fontpkg-noto-sans-devanagari` packages (requirements-dev.txt). Instancing a variable font
takes tens of seconds, far too slow for a request or a worker, so the static regular and bold
instances are made once here, subset to the scripts documents use, and committed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "fonts"

# Latin text, Indian names, punctuation, the rupee sign, № and the dotted circle a shaper
# inserts before a stray combining mark. Not the zero-width joiners (U+200C, U+200D): they sit
# inside Devanagari words, and a run of text takes its font from its characters, so a joiner
# the Latin font had would split the word into two runs and break its shaping.
LATIN = (
    "U+0000-024F,U+02B0-02FF,U+0300-036F,U+1E00-1EFF,U+2000-200B,U+200E-206F,U+20A0-20CF,"
    "U+2100-214F,U+2190-2199,U+2212,U+25CC"
)
# Devanagari with its extensions and Vedic marks, joiners, dandas, the rupee sign.
DEVANAGARI = "U+0900-097F,U+A8E0-A8FF,U+1CD0-1CFF,U+200B-200D,U+20B9,U+25CC,U+0020-007E,U+00A0"

BUILDS = [
    # (family as fontpkg names it, output stem, unicode ranges)
    ("Noto Sans", "NotoSans", LATIN),
    ("Noto Sans Devanagari", "NotoSansDevanagari", DEVANAGARI),
]
WEIGHTS = {"Regular": 400, "Bold": 700}


def _unicodes(ranges: str) -> list[int]:
    out: list[int] = []
    for part in ranges.split(","):
        lo, _, hi = part.strip().removeprefix("U+").partition("-")
        out.extend(range(int(lo, 16), int(hi or lo, 16) + 1))
    return out


def build() -> None:
    import fontpkg
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    for family, stem, ranges in BUILDS:
        source = fontpkg.path(family)
        for style, weight in WEIGHTS.items():
            font = TTFont(source)
            static = instancer.instantiateVariableFont(
                font, {"wght": weight, "wdth": 100}, updateFontNames=False
            )
            options = subset.Options()
            options.layout_features = ["*"]  # keep every shaping feature (Devanagari needs them)
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.hinting = False  # PDF viewers do not use TrueType hinting
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_unicodes(ranges))
            subsetter.subset(static)
            target = FONTS_DIR / f"{stem}-{style}.ttf"
            static.save(target)
            print(f"{target.name}: {target.stat().st_size} bytes from {source.name}")
        licence = Path(source).parent.parent / "LICENSE"
        shutil.copyfile(licence, FONTS_DIR / f"{stem}-OFL.txt")


if __name__ == "__main__":
    build()
