"""Which optional pieces a session speaks: the planner that fills a target length.

A script is a core plus optional pieces (``[optional N] … [/optional]``). The pieces are
added in their order, lowest priority first and ties in script order, so the session with
the first ``k`` pieces (a *prefix*) has a shortest length (every elastic pause at its
minimum) and a longest (every one at its maximum). The reachable lengths are the union of
those intervals. Each piece only adds time, so the union is one interval, from "core only,
shortest pauses" to "everything, longest pauses", as long as each next piece's shortest
length stays within what the earlier prefixes reach: the elastic pauses absorb the piece.

For a target the planner takes, among the prefixes that can reach it, the longest one whose
elastic pauses still sit at least :data:`ROOM` of the way into their ranges; when none does
(a target near the short end), the one with the most room. Guidance is added while there is
time for it, but never by pressing every silence to its minimum while a piece could still
be left out. The choice depends only on the lengths it is given, so the same inputs take
the same pieces.

Pure: speech and cue lengths come in as functions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ..errors import SourcePos
from ..model import ClipRequest, Cue, OptionalEnd, OptionalStart
from .timeline import PlanSettings, Step, mins, sums, tolerance_ms

ROOM = 0.5  # how far into their ranges the elastic pauses stay while pieces are added


@dataclass(frozen=True)
class Piece:
    """An optional piece: ``index`` in script order, its priority, where it starts and what it says."""

    index: int
    priority: int
    pos: SourcePos | None
    text: str

    def describe(self) -> str:
        at = f"{self.pos} " if self.pos else ""
        words = self.text.split()
        said = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
        return f'{at}[optional {self.priority}] "{said}"' if said else f"{at}[optional {self.priority}]"


@dataclass(frozen=True)
class Reach:
    """The session with ``taken`` pieces (in the order they were added): its shortest and
    longest lengths (ms)."""

    taken: tuple[int, ...]
    shortest_ms: float
    longest_ms: float

    def room(self, target_ms: float) -> float:
        """How far into their ranges the elastic pauses sit at ``target_ms`` (0-1)."""
        span = self.longest_ms - self.shortest_ms
        return 1.0 if span <= 0 else min(1.0, max(0.0, (target_ms - self.shortest_ms) / span))

    def reaches(self, target_ms: float) -> bool:
        tol = tolerance_ms(target_ms)
        return self.shortest_ms - tol <= target_ms <= self.longest_ms + tol


def pieces(steps: Sequence[Step]) -> list[Piece]:
    """The optional pieces of a resolved script, in script order."""
    out: list[Piece] = []
    for st in steps:
        if isinstance(st.seg, OptionalStart):
            out.append(Piece(len(out), st.seg.priority, st.seg.pos, ""))
        elif st.clip is not None and st.piece is not None and st.piece < len(out):
            p = out[st.piece]
            if not p.text:
                out[st.piece] = Piece(p.index, p.priority, p.pos, getattr(st.seg, "text", ""))
    return out


def order(ps: Sequence[Piece]) -> list[Piece]:
    """The order pieces are added in: lowest priority first, ties in script order."""
    return sorted(ps, key=lambda p: (p.priority, p.index))


def keep(steps: Sequence[Step], taken: Collection[int]) -> list[Step]:
    """The steps a session with ``taken`` pieces speaks (the piece markers themselves dropped)."""
    return [st for st in steps
            if not isinstance(st.seg, OptionalStart | OptionalEnd) and (st.piece is None or st.piece in taken)]


def reaches(
    steps: Sequence[Step],
    speech_ms: Callable[[ClipRequest], float],
    cue_ms: Callable[[Cue], float],
    settings: PlanSettings = PlanSettings(),
) -> list[Reach]:
    """The reach of every prefix: the core alone, then with each piece added in order."""
    fixed, lo, hi = sums(keep(steps, ()), speech_ms, cue_ms, settings)
    out = [Reach((), fixed + lo, fixed + hi)]
    taken: list[int] = []
    inside: dict[int, list[Step]] = {}  # each piece's steps, gathered in one pass
    for st in steps:
        if st.piece is not None and not isinstance(st.seg, OptionalStart | OptionalEnd):
            inside.setdefault(st.piece, []).append(st)
    for p in order(pieces(steps)):
        f, a, b = sums(inside.get(p.index, []), speech_ms, cue_ms, PlanSettings(0.0, 0.0))
        fixed, lo, hi = fixed + f, lo + a, hi + b
        taken.append(p.index)
        out.append(Reach(tuple(taken), fixed + lo, fixed + hi))
    return out


def choose(rs: Sequence[Reach], target_ms: float | None) -> Reach | None:
    """The prefix for ``target_ms`` (see the module's docstring); every piece without a
    target; None when no prefix reaches it."""
    if target_ms is None:
        return rs[-1]
    feasible = [r for r in rs if r.reaches(target_ms)]
    if not feasible:
        return None
    roomy = [r for r in feasible if r.room(target_ms) >= ROOM]
    return roomy[-1] if roomy else feasible[0]


def unreachable(rs: Sequence[Reach], ps: Sequence[Piece], target_ms: float, name: str) -> str:
    """Why no prefix reaches ``target_ms``: out of the whole range, or in a hole before a piece."""
    shortest, longest = rs[0].shortest_ms, max(r.longest_ms for r in rs)
    head = f"{name} cannot last {mins(target_ms)}"
    if target_ms < shortest or target_ms > longest:
        return (f"{head}: with this voice and profile it can last {mins(shortest)} to {mins(longest)}; "
                "choose a length in that range")
    hole = holes(rs, ps)[0]
    return (f"{head}: with this voice and profile it can last {mins(shortest)} to {mins(longest)} but not "
            f"{mins(hole.after_ms)} to {mins(hole.before_ms)}, where {hole.describe()}; choose another "
            "length, or widen the elastic pauses before that piece")


@dataclass(frozen=True)
class Hole:
    """Lengths no prefix reaches: after ``after_ms`` (the longest the pieces before ``piece``
    reach) and before ``before_ms`` (the shortest with it)."""

    after_ms: float
    before_ms: float
    piece: Piece

    def describe(self) -> str:
        return (f"the optional piece {self.piece.describe()} adds more than the elastic pauses before it can "
                f"stretch ({(self.before_ms - self.after_ms) / 1000:.0f} s too much)")


def holes(rs: Sequence[Reach], ps: Sequence[Piece], lo_ms: float | None = None,
          hi_ms: float | None = None) -> list[Hole]:
    """The holes in the reachable lengths (between ``lo_ms`` and ``hi_ms`` when given), each
    with the piece whose shortest length jumps past what the prefixes before it reach."""
    by_index = {p.index: p for p in ps}
    out: list[Hole] = []
    covered = rs[0].longest_ms
    for prev, nxt in zip(rs, rs[1:], strict=False):
        covered = max(covered, prev.longest_ms)
        gap = nxt.shortest_ms - covered
        mid = (covered + nxt.shortest_ms) / 2
        inside = (lo_ms is None or nxt.shortest_ms > lo_ms) and (hi_ms is None or covered < hi_ms)
        if gap > 2 * tolerance_ms(mid) and inside:
            out.append(Hole(covered, nxt.shortest_ms, by_index[nxt.taken[-1]]))
    return out
