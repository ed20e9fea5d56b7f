"""The thirteen languages the site publishes in: URL prefix, own name, direction, locale.

Data, not code: add a language here (and its catalog and content) and every page,
sitemap entry and switcher link follows.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str      # URL prefix and BCP 47 tag for <html lang> and hreflang
    name: str      # the language's name in itself, as the switcher shows it
    english: str   # its English name, for partners and logs
    dir: str       # "ltr" or "rtl"
    locale: str    # Babel/gettext locale identifier (catalog directory)


LANGUAGES = (
    Language("en", "English", "English", "ltr", "en_GB"),  # British dates and spelling
    Language("ar", "العربية", "Arabic", "rtl", "ar"),
    Language("zh-hant", "中文（繁體）", "Chinese (Traditional)", "ltr", "zh_Hant"),
    Language("ur", "اردو", "Urdu", "rtl", "ur"),
    Language("pl", "Polski", "Polish", "ltr", "pl"),
    Language("pa", "ਪੰਜਾਬੀ", "Punjabi", "ltr", "pa"),
    Language("bn", "বাংলা", "Bengali", "ltr", "bn"),
    Language("hi", "हिन्दी", "Hindi", "ltr", "hi"),
    Language("es", "Español", "Spanish", "ltr", "es"),
    Language("de", "Deutsch", "German", "ltr", "de"),
    Language("fr", "Français", "French", "ltr", "fr"),
    Language("tr", "Türkçe", "Turkish", "ltr", "tr"),
    Language("ms", "Bahasa Melayu", "Malay", "ltr", "ms"),
)
BY_CODE = {lang.code: lang for lang in LANGUAGES}
DEFAULT = BY_CODE["en"]
CODES = tuple(BY_CODE)


def get(code):
    """The Language for a URL prefix, or None for anything else (any type, any case)."""
    return BY_CODE.get(code) if isinstance(code, str) else None


def interpreter_request(contact):
    """(asked for an interpreter, the code of the language asked for or None) from a
    report's contact details ({} or None when anonymous): what submit keeps plain on the
    report (Report.interpreter, Report.interpreter_language). Only a language of ours."""
    contact = contact if isinstance(contact, dict) else {}
    wanted = contact.get("interpreter") == "yes"
    chosen = get(contact.get("interpreter_language")) if wanted else None
    return wanted, chosen.code if chosen else None


def best_match(accept_languages):
    """Pick a language from a werkzeug LanguageAccept header; English if none fits.

    Browsers send zh-TW / zh-HK for Traditional Chinese, and pa-IN / pa-Guru for Punjabi,
    so match on the primary subtag too, and map Chinese variants that use Traditional
    script. Simplified Chinese readers (zh-CN) still get our Traditional pages rather
    than English: closer to readable than nothing.
    """
    traditional = {"zh-tw", "zh-hk", "zh-mo", "zh-hant"}
    for value, _quality in accept_languages:
        tag = value.lower().replace("_", "-")
        if tag in BY_CODE:
            return BY_CODE[tag]
        if tag in traditional or tag.startswith("zh-hant") or tag == "zh" or tag.startswith("zh-"):
            return BY_CODE["zh-hant"]
        primary = tag.split("-", 1)[0]
        if primary in BY_CODE:
            return BY_CODE[primary]
    return DEFAULT
