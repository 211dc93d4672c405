"""Template helpers for the built-in script library (``scripts/``).

:func:`template_globals` returns extra variables that are merged into every
template's variables: the PMR muscle groups for the listener (after skips,
with gentle flags, mirrored for left-handers), German ``du``/``Sie`` forms
and a few small predicates. Pure: no I/O, no state.

German text may carry alternatives ``{Sie form|du form}``; :func:`address_form`
(the template helper ``addr``) keeps the one that fits the listener.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..profile import Profile

__all__ = ["GROUPS", "SCHEMES", "address_form", "muscle_groups", "template_globals"]

# Areas that are always worked gently (about half strength): the back pain rule.
SOFT_AREAS = frozenset({"neck", "shoulders", "upper-back", "lower-back", "abdomen"})

_ALT_RE = re.compile(r"\{([^{}|\n]*)\|([^{}|\n]*)\}")


def address_form(text: str, address: str) -> str:
    """Resolve ``{Sie form|du form}`` alternatives for ``address`` ("Sie" or "du")."""
    idx = 2 if address == "du" else 1
    return _ALT_RE.sub(lambda m: m.group(idx), text)


@dataclass(frozen=True)
class Group:
    """One PMR muscle group. ``side``: "dom", "non" or "" (both / the middle)."""

    id: str
    areas: tuple[str, ...]
    side: str
    name_en: str
    name_de: str
    tense_en: str
    tense_de: str
    release_en: str
    release_de: str
    said_de: str  # the German name with its article, for running text ("der rechte Oberarm")
    # German: ``tense_de`` is a statement in verb-second order without the first word and the
    # full stop ("{ballen Sie|ballst du} die … Hand zur Faust"), so that pmr_de.j2 puts it after
    # "Gleich" or "Beim Wort „jetzt“": the muscle is tensed on the cue, not during the
    # instruction; ``release_de`` is a statement (what happens), said after "Und loslassen."


def _g(gid: str, areas: str, side: str, *texts: str) -> Group:
    return Group(gid, tuple(areas.split()), side, *texts)


# Wording: {SIDE} is "right"/"left" (en) or "recht"/"link" (de, add the ending).
GROUPS: dict[str, Group] = {g.id: g for g in (
    _g("hand", "hands arms", "dom",
       "{SIDE} hand and forearm", "{SIDE}e Hand und Unterarm",
       "Make a fist with your {SIDE} hand, so you feel the tension in the hand and forearm.",
       "{ballen Sie|ballst du} die {SIDE}e Hand zur Faust und {spüren|spürst} die Spannung in Hand und Unterarm",
       "Let the fist open; the fingers lie loose.",
       "Die Faust öffnet sich, die Finger liegen locker.",
       "die {SIDE}e Hand und der Unterarm"),
    _g("upper-arm", "arms", "dom",
       "{SIDE} upper arm", "{SIDE}er Oberarm",
       "Bend your {SIDE} elbow and press it down, so the upper arm tightens.",
       "{winkeln Sie|winkelst du} den {SIDE}en Arm an und {drücken|drückst} den Ellbogen nach unten in die Unterlage, bis der Oberarm fest wird",
       "Let the arm sink back and rest.",
       "Der Arm sinkt zurück und ruht.",
       "der {SIDE}e Oberarm"),
    _g("forehead", "face", "",
       "forehead", "Stirn",
       "Raise your eyebrows and wrinkle your forehead.",
       "{ziehen Sie|ziehst du} die Augenbrauen hoch, sodass sich die Stirn in Falten legt",
       "Let the forehead become smooth and soft.",
       "Die Stirn wird wieder glatt und weich.",
       "die Stirn"),
    _g("eyes", "face", "",
       "eyes and nose", "Augen und Nase",
       "Close your eyes tightly and wrinkle your nose.",
       "{kneifen Sie|kneifst du} die Augen zusammen und {rümpfen|rümpfst} die Nase",
       "Let the eyes rest softly behind closed lids.",
       "Die Augen ruhen jetzt weich hinter den geschlossenen Lidern.",
       "die Augen und die Nase"),
    _g("jaw", "face jaw", "",
       "cheeks and jaw", "Wangen und Kiefer",
       "Press your teeth lightly together and draw the corners of your mouth back.",
       "{beißen Sie|beißt du} die Zähne leicht aufeinander und {ziehen|ziehst} die Mundwinkel nach hinten",
       "Let the jaw hang loose, the lips slightly apart.",
       "Der Kiefer wird locker, die Lippen dürfen sich ein wenig öffnen.",
       "die Wangen und der Kiefer"),
    _g("neck", "neck", "",
       "neck", "Nacken und Hals",
       "Bring your chin a little towards your chest, without lifting your head.",
       "{ziehen Sie|ziehst du} das Kinn ein wenig zur Brust, ohne den Kopf anzuheben, und {spüren|spürst} den Nacken",
       "Let the head rest heavily again.",
       "Der Kopf ruht wieder schwer auf der Unterlage.",
       "der Nacken und der Hals"),
    _g("shoulders", "chest shoulders upper-back", "",
       "chest, shoulders and upper back", "Brust, Schultern und oberer Rücken",
       "Draw your shoulders up a little towards your ears and bring your shoulder blades gently together.",
       "{ziehen Sie|ziehst du} die Schultern ein wenig zu den Ohren hoch und {drücken|drückst} die Oberarme leicht an den Körper, sodass auch Brust und oberer Rücken fest werden",
       "Let the shoulders sink back down, wide and heavy.",
       "Die Schultern sinken wieder, breit und schwer, und die Brust wird weit.",
       "die Brust, die Schultern und der obere Rücken"),
    _g("abdomen", "abdomen lower-back", "",
       "belly", "Bauch",
       "Tighten your belly gently, as if bracing for a light touch.",
       "{machen Sie|machst du} die Bauchdecke fest, als ob gleich eine leichte Berührung käme",
       "Let the belly become soft and let the breath move it freely.",
       "Der Bauch wird wieder weich, der Atem darf ihn frei bewegen.",
       "der Bauch"),
    _g("thigh", "legs hips", "dom",
       "{SIDE} thigh", "{SIDE}er Oberschenkel",
       "Tighten the front of your {SIDE} thigh by gently straightening the knee.",
       "{drücken Sie|drückst du} das {SIDE}e Knie nach unten in die Unterlage, bis der Oberschenkel fest wird",
       "Let the thigh become soft and heavy.",
       "Der Oberschenkel wird weich und schwer.",
       "der {SIDE}e Oberschenkel"),
    _g("calf", "legs", "dom",
       "{SIDE} calf", "{SIDE}e Wade",
       "Pull your {SIDE} foot up towards your shin and feel the calf tighten.",
       "{ziehen Sie|ziehst du} den {SIDE}en Fuß zum Schienbein heran, bis die Wade fest wird",
       "Let the foot fall back, loose and easy.",
       "Der Fuß fällt locker zurück.",
       "die {SIDE}e Wade"),
    _g("foot", "feet", "dom",
       "{SIDE} foot", "{SIDE}er Fuß",
       "Spread the toes of your {SIDE} foot and draw them gently up, the ankle soft. Not curled down: that can cramp.",
       "{spreizen Sie|spreizt du} die Zehen des {SIDE}en Fußes und {ziehen|ziehst} sie nach oben, das Fußgelenk bleibt locker. Die Zehen nie nach unten krallen: Das kann zu Krämpfen führen",
       "Let the toes relax and the foot rest.",
       "Die Zehen lösen sich, der Fuß ruht.",
       "der {SIDE}e Fuß"),
    _g("arm", "hands arms", "dom",
       "{SIDE} arm", "{SIDE}er Arm",
       "Make a fist with your {SIDE} hand, bend the elbow and press it down.",
       "{ballen Sie|ballst du} die {SIDE}e Hand zur Faust, {winkeln|winkelst} den Arm an und {drücken|drückst} den Ellbogen in die Unterlage",
       "Let the fist open and the whole arm sink back down.",
       "Die Faust öffnet sich, und der ganze Arm sinkt zurück.",
       "der {SIDE}e Arm"),
    _g("face", "face jaw", "",
       "face", "Gesicht",
       "Raise your eyebrows, close your eyes tightly, wrinkle your nose and press your teeth lightly together.",
       "{ziehen Sie|ziehst du} die Augenbrauen hoch, {kneifen|kneifst} die Augen zusammen, {rümpfen|rümpfst} die Nase und {beißen|beißt} die Zähne leicht aufeinander",
       "Let the whole face become smooth and soft.",
       "Das ganze Gesicht wird glatt und weich.",
       "das Gesicht"),
    _g("trunk", "chest shoulders upper-back abdomen lower-back", "",
       "shoulders, chest, back and belly", "Schultern, Brust, Rücken und Bauch",
       "Draw your shoulders towards your ears, bring the shoulder blades together and tighten your belly a little.",
       "{ziehen Sie|ziehst du} die Schultern ein wenig zu den Ohren, {drücken|drückst} die Oberarme leicht an den Körper, sodass Brust und Rücken fest werden, und {machen|machst} die Bauchdecke fest",
       "Let the shoulders and the belly go soft; your back rests heavy on the floor.",
       "Schultern, Brust und Bauch werden weich, der Rücken liegt schwer auf der Unterlage.",
       "die Schultern, die Brust, der Rücken und der Bauch"),
    _g("leg", "legs hips feet", "dom",
       "{SIDE} leg", "{SIDE}es Bein",
       "Pull the toes of your {SIDE} foot up and gently straighten the knee.",
       "{ziehen Sie|ziehst du} die Zehen des {SIDE}en Fußes zu {sich|dir} heran und {drücken|drückst} das Knie nach unten in die Unterlage, bis der Oberschenkel fest wird",
       "Let the leg go loose; the foot falls gently to the side.",
       "{Lassen Sie|Lass} das Bein locker; der Fuß kippt entspannt zur Seite.",
       "das {SIDE}e Bein"),
    _g("arms", "hands arms", "",
       "both arms and hands", "beide Arme und Hände",
       "Make fists with both hands, bend your elbows and press them down.",
       "{ballen Sie|ballst du} beide Hände zu Fäusten, {winkeln|winkelst} die Arme an und {drücken|drückst} die Ellbogen in die Unterlage",
       "Let the hands open and both arms sink down.",
       "Die Hände öffnen sich, und beide Arme sinken.",
       "beide Arme und Hände"),
    _g("face-neck", "face jaw neck", "",
       "face and neck", "Gesicht und Nacken",
       "Wrinkle your forehead, close your eyes tightly, press your teeth lightly together and draw your chin a little down.",
       "{runzeln Sie|runzelst du} die Stirn, {kneifen|kneifst} die Augen zusammen, {beißen|beißt} die Zähne leicht aufeinander und {ziehen|ziehst} das Kinn ein wenig zur Brust",
       "Let the face and the neck go soft; the head rests heavily.",
       "Gesicht und Nacken werden weich, der Kopf ruht schwer.",
       "das Gesicht und der Nacken"),
    _g("legs", "legs hips feet", "",
       "both legs and feet", "beide Beine und Füße",
       "Pull the toes of both feet up and gently straighten the knees.",
       "{ziehen Sie|ziehst du} die Zehen beider Füße zu {sich|dir} heran und {drücken|drückst} beide Knie nach unten in die Unterlage, bis die Oberschenkel fest werden",
       "Let both legs go loose; the feet fall gently apart.",
       "Beide Beine werden locker, die Füße fallen entspannt auseinander.",
       "beide Beine und Füße"),
)}

_ARMS16 = ("dom:hand", "dom:upper-arm", "non:hand", "non:upper-arm")
_LEGS16 = ("dom:thigh", "dom:calf", "dom:foot", "non:thigh", "non:calf", "non:foot")
SCHEMES: dict[str, tuple[str, ...]] = {
    "16": (*_ARMS16, "forehead", "eyes", "jaw", "neck", "shoulders", "abdomen", *_LEGS16),
    "7": ("dom:arm", "non:arm", "face", "neck", "trunk", "dom:leg", "non:leg"),
    "4": ("arms", "face-neck", "trunk", "legs"),
}

_SIDE = {"en": {"right": "right", "left": "left"}, "de": {"right": "recht", "left": "link"}}


def _side(which: str, dominant: str) -> str:
    if which == "dom":
        return dominant
    return "left" if dominant == "right" else "right"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _said_en(name: str) -> str:
    """The English name for running text: with "the", except for "both …"."""
    return name if name.startswith("both ") else f"the {name}"


def _group_dict(entry: str, p: Profile, force_gentle: bool) -> dict[str, object]:
    which, _, gid = entry.rpartition(":")
    g = GROUPS[gid]
    side = _side(which, p.dominant_side) if which else ""
    lang = "de" if p.language == "de" else "en"
    word = _SIDE[lang].get(side, "")

    def text(en: str, de: str) -> str:
        raw = de if lang == "de" else en
        return address_form(raw.replace("{SIDE}", word), p.address)

    soft = bool(SOFT_AREAS.intersection(g.areas))
    asked = bool(set(p.gentle).intersection(g.areas)) or force_gentle
    return {
        "id": f"{side}-{gid}" if side else gid,
        "group": gid,
        "areas": list(g.areas),
        "side": side,
        "soft": soft,  # always at about half strength (neck, shoulders, back, abdomen)
        "gentle": asked,  # the listener asked for care here: half strength or just notice
        "half": soft or asked,
        "name": _cap(text(g.name_en, g.name_de)),
        "said": text(_said_en(g.name_en), g.said_de),
        "tense": text(g.tense_en, g.tense_de),
        "release": text(g.release_en, g.release_de),
    }


def muscle_groups(p: Profile, scheme: str, force_gentle: bool = False) -> list[dict[str, object]]:
    """The PMR groups of ``scheme`` ("16", "7", "4") for ``p``, in order, skips removed.

    A group is left out when any of its body areas is in ``p.skip``; the
    dominant side comes first (``dominant_side = "left"`` mirrors the order).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown PMR scheme '{scheme}'; use one of {', '.join(SCHEMES)}")
    out = []
    for entry in SCHEMES[scheme]:
        if set(p.skip).intersection(GROUPS[entry.rpartition(":")[2]].areas):
            continue
        out.append(_group_dict(entry, p, force_gentle))
    return out


def skipped_groups(p: Profile, scheme: str) -> list[dict[str, object]]:
    """The groups of ``scheme`` that the profile's skips leave out (to mention, not tense)."""
    return [
        _group_dict(e, p, False)
        for e in SCHEMES[scheme]
        if set(p.skip).intersection(GROUPS[e.rpartition(":")[2]].areas)
    ]


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on", "ja")


def template_globals(profile: Profile) -> dict[str, object]:
    """Extra template variables for ``profile`` (see docs/profile.md)."""
    lang = "de" if profile.language == "de" else "en"
    other = "left" if profile.dominant_side == "right" else "right"
    p = profile

    def groups(scheme: str, gentle: object = False) -> list[dict[str, object]]:
        return muscle_groups(p, str(scheme), _truthy(gentle))

    return {
        "muscle_groups": groups,
        "skipped_groups": lambda scheme: skipped_groups(p, str(scheme)),
        "is_skipped": lambda area: str(area) in p.skip,
        "is_gentle": lambda area: str(area) in p.gentle or str(area) in p.skip,
        "addr": lambda text: address_form(str(text), p.address),
        "du": p.address == "du",
        "dom": _SIDE[lang][p.dominant_side],
        "other": _SIDE[lang][other],
        "truthy": _truthy,
    }
