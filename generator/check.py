"""``relaxgen check``: render, parse and fit templates; collect every problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .api import plan
from .errors import RelaxgenError
from .paths import display, scripts_dir
from .profile import LANGUAGES, Profile
from .script.render import TEMPLATE_SUFFIXES, parse_front_matter


@dataclass(frozen=True)
class Problem:
    template: str
    language: str
    minutes: float | None
    message: str

    def __str__(self) -> str:
        at = f" at {self.minutes:g} min" if self.minutes is not None else ""
        msg = self.message if self.message.startswith(self.template) else f"{self.template}: {self.message}"
        return f"{msg} [{self.language}{at}]"


def library_templates() -> list[Path]:
    root = scripts_dir()
    out: list[Path] = []
    for lang in LANGUAGES:
        d = root / lang
        if d.is_dir():
            out.extend(sorted(p for p in d.iterdir() if p.suffix in TEMPLATE_SUFFIXES))
    return out


def expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in TEMPLATE_SUFFIXES and "_lib" not in q.parts))
        else:
            out.append(p)
    return out


SAMPLE_PROFILES = {
    "en": [Profile(name="Alex", language="en")],
    "de": [Profile(name="Alex", language="de", address="Sie"), Profile(name="Alex", language="de", address="du")],
}


def check_template(path: Path) -> list[Problem]:
    """Every problem of one template, for each language it declares, at its declared lengths."""
    name = display(path)
    try:
        front = parse_front_matter(path.read_text(encoding="utf-8"), name)
    except (RelaxgenError, OSError, UnicodeDecodeError) as e:
        return [Problem(name, "?", None, str(e))]
    folder_lang = path.parent.name if path.parent.name in LANGUAGES else "en"
    langs: list[str] = [front.language or folder_lang]
    problems: list[Problem] = []
    for lang in langs:
        lengths = [front.min_minutes, front.minutes, front.max_minutes]
        wanted: list[float | None] = [m for m in dict.fromkeys(lengths) if m is not None] or [None]
        for base in SAMPLE_PROFILES.get(lang, [Profile(language=lang)]):
            for m in wanted:
                try:
                    plan(path, replace(base, language=lang), m, engine="fake")
                except RelaxgenError as e:
                    problems.append(Problem(name, f"{lang}/{base.address}" if lang == "de" else lang, m, str(e)))
    return problems
