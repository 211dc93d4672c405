"""Text for the ear: rewrite a sentence so a TTS engine reads what a person would say.

``normalize(text, language)`` spells out numbers (cardinals, decimals, ordinals,
times, ranges, breathing patterns such as ``4-7-8``), units, symbols and common
abbreviations in English (``"en"``) or German (``"de"``).  It is pure,
deterministic and idempotent; text without anything to rewrite only has its
whitespace collapsed.  Word tables live at the top; each step is one small
function applied in a fixed order by :func:`normalize`.
"""

from __future__ import annotations

import functools
import re

__all__ = ["LANGUAGES", "normalize"]

LANGUAGES = ("en", "de")
_MAX = 999_999  # larger numbers are read digit by digit

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth",
           "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_DE_ONES = (
    "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn "
    "vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn"
).split()
_DE_TENS = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig",
            "achtzig", "neunzig")
_DE_ORD = {1: "erst", 3: "dritt", 7: "siebt", 8: "acht"}

# Per-language words.  Units map to (singular, plural).
_WORDS: dict[str, dict[str, str]] = {
    "en": {"point": "point", "to": "to", "ratio": "to", "and": "and", "or": "or",
           "equals": "equals", "times": "times", "minus": "minus", "plus": "plus",
           "%": "percent", "°": "degrees", "and/or": "and or"},
    "de": {"point": "Komma", "to": "bis", "ratio": "zu", "and": "und", "or": "oder",
           "equals": "gleich", "times": "mal", "minus": "minus", "plus": "plus",
           "%": "Prozent", "°": "Grad", "and/or": "und oder"},
}
_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"s": ("second", "seconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
           "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
           "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
           "ms": ("millisecond", "milliseconds"), "%": ("percent", "percent"),
           "°C": ("degree Celsius", "degrees Celsius"),
           "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees")},
    "de": {"s": ("Sekunde", "Sekunden"), "sek": ("Sekunde", "Sekunden"),
           "Sek": ("Sekunde", "Sekunden"), "min": ("Minute", "Minuten"),
           "Min": ("Minute", "Minuten"), "h": ("Stunde", "Stunden"), "Std": ("Stunde", "Stunden"),
           "ms": ("Millisekunde", "Millisekunden"), "%": ("Prozent", "Prozent"),
           "°C": ("Grad Celsius", "Grad Celsius"), "°F": ("Grad Fahrenheit", "Grad Fahrenheit"),
           "°": ("Grad", "Grad")},
}
# Abbreviations: written form (dots may be followed by one space) -> spoken form.
_ABBREV: dict[str, dict[str, str]] = {
    "en": {"e.g.": "for example", "i.e.": "that is", "approx.": "approximately",
           "etc.": "et cetera", "vs.": "versus", "Dr.": "Doctor", "Mr.": "Mister",
           "Mrs.": "Missus", "Prof.": "Professor"},
    "de": {"z.B.": "zum Beispiel", "ca.": "circa", "bzw.": "beziehungsweise",
           "usw.": "und so weiter", "d.h.": "das heißt", "ggf.": "gegebenenfalls",
           "evtl.": "eventuell", "u.a.": "unter anderem", "Nr.": "Nummer", "etc.": "et cetera",
           "vgl.": "vergleiche", "inkl.": "inklusive", "bspw.": "beispielsweise",
           "u.U.": "unter Umständen", "o.Ä.": "oder Ähnliches", "Dr.": "Doktor",
           "Prof.": "Professor", "max.": "maximal", "mind.": "mindestens"},
}
_SENTENCE_FINAL = {"etc.", "usw.", "o.Ä.", "u.a."}  # keep the dot before a capital
_FRACTIONS: dict[str, dict[str, str]] = {
    "en": {"½": "one half", "⅓": "one third", "⅔": "two thirds", "¼": "one quarter",
           "¾": "three quarters"},
    "de": {"½": "einhalb", "⅓": "ein Drittel", "⅔": "zwei Drittel", "¼": "ein Viertel",
           "¾": "drei Viertel"},
}
# German grammar helpers for "1" before a noun and for ordinals.
_DE_FEMININE = {"Nacht", "Zeit", "Hand", "Welt", "Art", "Uhrzeit", "Stirn", "Brust"}
_DE_NOT_FEMININE = {"Auge", "Ende", "Gebäude", "Name", "Gedanke", "Käse", "Wille", "Friede",
                    "Junge", "Uhr"}  # "Uhr": "ein Uhr"
_DE_FEM_SUFFIXES = ("e", "ung", "heit", "keit", "schaft", "ion", "tät")
_DE_DATIVE = {"nach", "mit", "in", "von", "vor", "seit", "bei", "aus", "zu", "innerhalb"}
_DE_DET_EN = {"am", "zum", "zur", "im", "beim", "vom", "dem", "den", "des", "einem", "einer",
              "eines", "jedem", "jeden", "diesem", "diesen", "ihrem", "ihren", "seinem",
              "meinem", "deinem", "unserem"}
_DE_DET_E = {"die", "das", "jede", "jedes", "diese", "dieses", "ihre", "seine", "meine", "deine"}

_L = r"[^\W\d_]"  # a letter
_AN = r"[^\W_]"  # a letter or digit
_NUM = {
    "en": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "de": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?",
}


def _en_cardinal(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _EN_TENS[t] + (f"-{_EN_ONES[o]}" if o else "")
    big, word = (100, "hundred") if n < 1000 else (1000, "thousand")
    head, rest = divmod(n, big)
    return f"{_en_cardinal(head)} {word}" + (f" {_en_cardinal(rest)}" if rest else "")


def _de_cardinal(n: int, final: bool = True) -> str:
    """German cardinal; ``final=False`` gives "ein" instead of "eins" for a trailing 1."""
    if n == 1:
        return "eins" if final else "ein"
    if n < 20:
        return _DE_ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return (f"{_de_cardinal(o, False)}und" if o else "") + _DE_TENS[t]
    big, word = (100, "hundert") if n < 1000 else (1000, "tausend")
    head, rest = divmod(n, big)
    return _de_cardinal(head, False) + word + (_de_cardinal(rest, final) if rest else "")


def cardinal(n: int, language: str, final: bool = True) -> str:
    """Spell a non-negative integer; above 999 999 it is read digit by digit."""
    if n > _MAX:
        ones = _EN_ONES if language == "en" else _DE_ONES
        return " ".join(ones[int(d)] for d in str(n))
    return _en_cardinal(n) if language == "en" else _de_cardinal(n, final)


def ordinal(n: int, language: str) -> str:
    """English ordinal ("twenty-first") or German ordinal stem without ending ("einundzwanzigst")."""
    if language == "en":
        head, last = re.fullmatch(r"(.*?)([a-z]+)", _en_cardinal(n)).groups()  # type: ignore[union-attr]
        if last in _EN_ORD:
            return head + _EN_ORD[last]
        return head + (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    if n < 20:
        return _DE_ORD.get(n, _de_cardinal(n) + "t")
    if n >= 100 and 0 < n % 100 < 20:
        return _de_cardinal(n - n % 100, False) + ordinal(n % 100, "de")
    return _de_cardinal(n, False) + "st"


def _spell(token: str, lang: str, final: bool = True) -> str:
    """Spell a numeric token: "1,000" / "1.5" (en), "1.000" / "1,5" (de)."""
    if lang == "en":
        token = token.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    whole, _, frac = token.replace(",", ".").partition(".")
    words = cardinal(int(whole), lang, final or bool(frac))
    if frac:
        words += f" {_WORDS[lang]['point']} " + " ".join(cardinal(int(d), lang) for d in frac)
    return words


def _value(token: str, lang: str) -> float:
    if lang == "en":
        return float(token.replace(",", ""))
    return float(token.replace(".", "").replace(",", ".") if "," in token else token)


def _de_feminine(noun: str) -> bool:
    if noun in _DE_NOT_FEMININE:
        return False
    return noun in _DE_FEMININE or noun.endswith(_DE_FEM_SUFFIXES)


def _de_one(text: str, start: int, end: int) -> str:
    """"eins" when counting, "ein"/"eine"/"einem"/"einer" before a noun."""
    after = re.match(r" ([A-ZÄÖÜ]\w*)", text[end:])
    if not after:
        return "eins"
    before = re.search(r"(\w+) $", text[:start])
    fem = _de_feminine(after.group(1))
    if before and before.group(1).lower() in _DE_DATIVE:
        return "einer" if fem else "einem"
    return "eine" if fem else "ein"


def _keep_dot(text: str, end: int, before_capital: bool) -> str:
    rest = text[end:]
    if not rest.strip() or (before_capital and re.match(r" [A-ZÄÖÜ]", rest)):
        return "."
    return ""


def _abbrev_pattern(key: str) -> str:
    first = f"[{key[0]}{key[0].upper()}]" if key[0].islower() else re.escape(key[0])
    return first + re.escape(key[1:-1]).replace(r"\.", r"\. ?") + r"\."


_ABBREV_RE = {
    lang: re.compile(rf"(?<!{_AN})(?:"
                     + "|".join(_abbrev_pattern(k) for k in sorted(table, key=len, reverse=True))
                     + ")")
    for lang, table in _ABBREV.items()
}


def _abbreviations(text: str, lang: str) -> str:
    table = _ABBREV[lang]

    def repl(m: re.Match[str]) -> str:
        written = m.group(0).replace(" ", "")
        key = written if written in table else written[0].lower() + written[1:]
        spoken = table[key]
        word = spoken[0].upper() + spoken[1:] if written[0].isupper() else spoken
        return word + _keep_dot(m.string, m.end(), key in _SENTENCE_FINAL)

    text = _ABBREV_RE[lang].sub(repl, text)
    if lang == "en":
        return re.sub(r"(?<!\w)No\. ?(?=\d)", "number ", text)
    return re.sub(rf"(?<!{_AN})(Sek|Min|Std)\.", _de_time_abbrev, text)


def _de_time_abbrev(m: re.Match[str]) -> str:
    singular, plural = _UNITS["de"][m.group(1)]
    one = re.search(r"(?<![\d.,])(1|[eE]ine[rmn]?|jede[rmn]?|pro) $", m.string[: m.start()])
    return (singular if one else plural) + _keep_dot(m.string, m.end(), False)


def _times(text: str, lang: str) -> str:
    if lang == "en":
        pattern = r"(?<![\w:.,])(\d{1,2}):(\d{2})(?![\w:]|[.,]\d)(?: ?([ap])\.?m\.?(?!\w))?"
    else:
        pattern = r"(?<![\w:.,])(\d{1,2})(?::(\d{2})(?![\w:]|[.,]\d)|\.(\d{2})(?= ?Uhr\b))(?: ?Uhr\b)?"

    def repl(m: re.Match[str]) -> str:
        h = int(m.group(1))
        mm = int(m.group(2) or (m.group(3) if lang == "de" else None) or 0)
        if h > 24 or mm > 59:
            return m.group(0)
        if lang == "de":
            return f"{_de_cardinal(h, False)} Uhr" + (f" {_de_cardinal(mm)}" if mm else "")
        if mm == 0:
            spoken = f"{_en_cardinal(h)} " + ("o'clock" if h <= 12 else "hundred")
        else:
            spoken = f"{_en_cardinal(h)} " + ("oh " if mm < 10 else "") + _en_cardinal(mm)
        return spoken + (f" {m.group(3).upper()} M" if m.group(3) else "")

    text = re.sub(pattern, repl, text)
    ratio = _WORDS[lang]["ratio"]  # "4:6" breathing ratio
    return re.sub(
        r"(?<![\w:.,])(\d{1,2}):(\d)(?![\w:]|[.,]\d)",
        lambda m: f"{cardinal(int(m.group(1)), lang)} {ratio} {cardinal(int(m.group(2)), lang)}",
        text,
    )


def _ordinals(text: str, lang: str) -> str:
    if lang == "en":
        return re.sub(rf"(?<!{_AN})(\d{{1,6}})(?:st|nd|rd|th)(?!{_AN})",
                      lambda m: ordinal(int(m.group(1)), "en"), text)

    def repl(m: re.Match[str]) -> str:
        det, noun = m.group(1).lower(), m.group(3)
        if det in _DE_DET_EN or (det == "der" and _de_feminine(noun)):
            ending = "en"
        elif det in _DE_DET_E or det == "der":
            ending = "e"
        else:
            return m.group(0)
        return f"{m.group(1)} {ordinal(int(m.group(2)), 'de')}{ending} "

    return re.sub(rf"(?<!{_AN})({_L}+) (\d{{1,4}})\. (?=({_L}+))", repl, text)


def _fractions(text: str, lang: str) -> str:
    def repl(m: re.Match[str]) -> str:
        word = _FRACTIONS[lang][m.group(2)]
        if not m.group(1):
            return f" {word} "
        whole = _spell(m.group(1), lang, final=False)
        if lang == "de":
            return f" {whole}{word} " if m.group(2) == "½" else f" {whole} {word} "
        return f" {whole} and {'a half' if m.group(2) == '½' else word} "

    return re.sub(rf"(\d*) ?([{''.join(_FRACTIONS[lang])}])", repl, text)


_UNIT_RE = {
    lang: re.compile(rf"(?<!{_AN})(\d+(?:[.,]\d+)*) ?("
                     + "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
                     + rf")(?!{_AN})")
    for lang, units in _UNITS.items()
}


def _units(text: str, lang: str) -> str:
    def repl(m: re.Match[str]) -> str:
        singular, plural = _UNITS[lang][m.group(2)]
        return f"{m.group(1)} {singular if m.group(1) == '1' else plural}"

    return _UNIT_RE[lang].sub(repl, text)


def _patterns_and_ranges(text: str, lang: str) -> str:
    def pattern(m: re.Match[str]) -> str:
        words = [cardinal(int(n), lang) for n in re.findall(r"\d+", m.group(0))]
        compound = re.match(rf"-{_L}", m.string[m.end():])  # "4-7-8-Atmung"
        return ("-" if compound else ", ").join(words)

    text = re.sub(rf"(?<!{_AN}|[.,])\d{{1,2}}(?: ?[-–—] ?\d{{1,2}}){{2,}}(?!{_AN})", pattern, text)
    num = _NUM[lang]

    def rng(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        if _value(a, lang) >= _value(b, lang):
            return f"{_spell(a, lang)}, {_spell(b, lang)}"
        noun = re.match(r" [A-ZÄÖÜ]", m.string[m.end():])
        return f"{_spell(a, lang, final=not noun)} {_WORDS[lang]['to']} {_spell(b, lang)}"

    return re.sub(rf"(?<!{_AN}|[.,])({num}) ?[-–—] ?({num})(?!{_AN}|[.,]\d)", rng, text)


def _multiply(text: str, lang: str) -> str:

    def repl(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if lang == "de":
            return cardinal(n, "de", final=False) + "mal"
        return {1: "once", 2: "twice"}.get(n, f"{cardinal(n, 'en')} times")

    return re.sub(rf"(?<!{_AN}|[.,])(\d+) ?[x×](?!{_AN})", repl, text)


def _numbers(text: str, lang: str) -> str:
    minus = rf"(?:(?<=[\s(])|^)[-−](?=\d+(?:[.,]\d+)?(?!{_L}))"
    text = re.sub(minus, _WORDS[lang]["minus"] + " ", text)

    def repl(m: re.Match[str]) -> str:
        if lang == "de" and m.group(0) == "1":
            return _de_one(m.string, m.start(), m.end())
        return _spell(m.group(0), lang)

    return re.sub(rf"(?<!{_L})(?:{_NUM[lang]})(?!{_L})", repl, text)


def _symbols(text: str, lang: str) -> str:
    w = _WORDS[lang]
    for sym, word in (("&", w["and"]), ("+", w["plus"]), ("=", w["equals"]),
                      ("×", w["times"]), ("%", w["%"]), ("°", w["°"])):
        text = text.replace(sym, f" {word} ")
    return text


def _separators(text: str, lang: str) -> str:
    w = _WORDS[lang]
    text = re.sub(r"\b(and|und)/(or|oder)\b", lambda m: w["and/or"], text)
    text = re.sub(rf"(?<={_L}) */ *(?={_L})", f" {w['or']} ", text)
    return re.sub(rf"(?<={_AN}) *(?:[–—]| - ) *(?={_AN})", ", ", text)


@functools.lru_cache(maxsize=16384)  # a library of scripts says the same sentences again and again
def normalize(text: str, language: str) -> str:
    """Return *text* as it should be spoken in *language* ("en" or "de")."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\.{3,}", "…", text)
    text = re.sub(r"(\d) ?[x×] ?(?=\d)", rf"\1 {_WORDS[language]['times']} ", text)  # 3x4
    for step in (_fractions, _abbreviations, _times, _ordinals, _units,
                 _patterns_and_ranges, _multiply, _symbols, _numbers, _separators):
        text = step(text, language)
    return re.sub(r"\s+", " ", text).strip()
