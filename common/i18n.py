"""The desk's two languages in stored rows: fields kept per language (`title_en`,
`title_zh_hans`) read in the active one, falling back to the other."""

from django.utils.translation import get_language

LANGUAGE_SUFFIXES = {"zh-hans": "zh_hans", "en": "en"}


def language_suffix(language: str | None = None) -> str:
    """The field suffix (`en`, `zh_hans`) for a language code; English when unknown."""
    code = (language or get_language() or "en").lower()
    if code.startswith("zh"):
        return "zh_hans"
    return LANGUAGE_SUFFIXES.get(code, "en")


class Translated:
    """Read `title`, `summary`... in the active language, falling back to the other one."""

    def localized(self, field: str, language: str | None = None) -> str:
        suffix = language_suffix(language)
        value = getattr(self, f"{field}_{suffix}")
        if value:
            return value
        fallback = "en" if suffix == "zh_hans" else "zh_hans"
        return getattr(self, f"{field}_{fallback}")
