"""The reporter's language, and whether they asked for an interpreter, as partner pages
show them: the language's English name and its own name, side by side."""
from dataclasses import dataclass

from flask import current_app

from .. import languages


@dataclass(frozen=True)
class ReporterLanguage:
    language: languages.Language           # the language the report was written in
    interpreter: bool                      # they asked for an interpreter
    interpreter_language: languages.Language | None  # the language they asked for, if given

    @property
    def other_interpreter_language(self):
        """The interpreter language, when it is not the report's own."""
        chosen = self.interpreter_language
        return chosen if chosen is not None and chosen != self.language else None


def _made(lang, wanted, interpreter_language):
    language = languages.get(lang) or languages.DEFAULT
    return ReporterLanguage(language, wanted,
                            (languages.get(interpreter_language) or languages.get(lang)) if wanted else None)


def of(report, contact):
    """`contact` is the report's unsealed contact details ({} or None when anonymous)."""
    return _made(report.lang, *languages.interpreter_request(contact))


def of_report(report):
    """The same from the report's plain columns (the inbox's rows: no contact details are
    opened to list reports); a report stored before they existed opens its contact details."""
    if report.interpreter is None:
        return of(report, report.contact(current_app.extensions["sdp_sealer"]))
    return _made(report.lang, report.interpreter, report.interpreter_language)
