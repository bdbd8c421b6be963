"""Real text this machine ships, that the project did not write: the guard's training material.

Translation catalogues (`.mo` under /usr/share/locale, `.po` that installed Python packages ship)
give Chinese (simplified and traditional), the other BIP-39 languages, and English (their
msgids); package descriptions (`METADATA`) give English documentation prose, and the fortune
cookie files (Debian's `fortunes`, when installed) everyday English. Every catalogue
belongs to the training part or the held-out part by a hash of its path, so a model built from
`texts(..., part=TRAIN)` is tested for false alarms on `texts(..., part=HELD_OUT)`.
"""

import enum
import functools
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import polib

LOCALE_ROOTS = (Path("/usr/share/locale"),)
FORTUNES = Path("/usr/share/games/fortunes")
# Catalogues per language, as gettext names the locale directories.
LOCALES = {
    "chinese": ("zh_CN", "zh_TW", "zh_HK", "zh_Hans", "zh_Hant"),
    "spanish": ("es",),
    "french": ("fr",),
    "italian": ("it",),
    "portuguese": ("pt", "pt_BR", "pt_PT"),
    "czech": ("cs",),
    "japanese": ("ja",),
    "korean": ("ko",),
    "russian": ("ru",),
    "turkish": ("tr",),
}
HELD_OUT_SHARE = 3  # one catalogue in three is held out


class Part(enum.StrEnum):
    TRAIN = "train"
    HELD_OUT = "held_out"


def _site_packages() -> list[Path]:
    return [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]


def _part(path: Path) -> Part:
    # A domain's catalogues in every language fall in the same part ("apt.mo", "django/admin").
    key = path.parent.name if path.name == "METADATA" else str(path).split("/locale/")[0]
    key = key.rpartition("site-packages/")[2] + ":" + path.name
    digest = hashlib.sha256(key.encode()).digest()
    return Part.HELD_OUT if digest[0] % HELD_OUT_SHARE == 0 else Part.TRAIN


@functools.cache
def catalogues(language: str) -> tuple[Path, ...]:
    """Every catalogue of `language` ("english": all of them, for their msgids)."""
    locales = (
        [locale for names in LOCALES.values() for locale in names]
        if language == "english"
        else list(LOCALES[language])
    )
    paths = []
    for locale in locales:
        for root in LOCALE_ROOTS:
            paths.extend(sorted((root / locale / "LC_MESSAGES").glob("*.mo")))
        for site in _site_packages():
            paths.extend(sorted(site.glob(f"*/**/locale/{locale}/LC_MESSAGES/*.po")))
    return tuple(paths)


def _entries(path: Path) -> list[polib.POEntry]:
    try:
        return list(polib.mofile(str(path)) if path.suffix == ".mo" else polib.pofile(str(path)))
    except (OSError, ValueError, UnicodeDecodeError):
        return []


@functools.cache
def texts(language: str, part: Part) -> tuple[str, ...]:
    """The distinct translated (or, for English, source) strings of `language`'s catalogues."""
    seen: dict[str, None] = {}
    for path in catalogues(language):
        if _part(path) != part:
            continue
        for entry in _entries(path):
            values = (
                [entry.msgid, entry.msgid_plural]
                if language == "english"
                else [entry.msgstr, *entry.msgstr_plural.values()]
            )
            for value in values:
                if value and not value.startswith(("%", "{")):
                    seen[value] = None
    if language == "english":
        seen.update(dict.fromkeys(_package_descriptions(part)))
        seen.update(dict.fromkeys(_fortunes(part)))
    return tuple(seen)


def _fortunes(part: Part) -> Iterator[str]:
    """Quotations, jokes and verse of the fortune cookie files (Debian's fortunes, if there):
    everyday English that catalogues and READMEs lack ("thank you", "wait a day")."""
    if not FORTUNES.is_dir():
        return
    for path in sorted(FORTUNES.iterdir()):
        if path.suffix or not path.is_file() or _part(path) != part:
            continue
        for cookie in path.read_text(errors="replace").split("\n%\n"):
            if cookie.strip():
                yield cookie.strip()


def _package_descriptions(part: Part) -> Iterator[str]:
    """Paragraphs of the long descriptions (READMEs) installed packages ship."""
    for site in _site_packages():
        for path in sorted(site.glob("*.dist-info/METADATA")):
            if _part(path) != part:
                continue
            body = path.read_text(errors="replace").partition("\n\n")[2]
            for paragraph in body.split("\n\n"):
                if paragraph.strip() and not paragraph.lstrip().startswith(("```", "    ", ">>>")):
                    yield paragraph.strip()
