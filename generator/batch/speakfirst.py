"""Speech first: a local run of sessions speaks their neural-voice sentences before it builds them.

A session speaks its new sentences in the process that builds it and keeps its
engine for the next session. A Piper voice's process holds the model (about 140 MB
with the bundled voice) and the working memory of the longest sentence it spoke
(about 120 MB for 13 words at 120 words a minute, 500 MB for 55), so sessions built
side by side (``-j 2``) would hold one such process each, next to their mixers and
encoders. A local run (``-j N``, also ``-j 1``) therefore prepares its outdated
sessions, :data:`CHUNK` at a time, as their builds will prepare them, and speaks
their new sentences for a multithreaded engine (:func:`generator.tts.base.multithreaded`)
here, with one worker that uses the run's cores, stops that worker, and only then
builds them: their clips are in the cache, so no session loads a model. A run whose
first sessions need no such engine is built in one go, as before. The Dask executor
builds on other machines, whose workers speak for themselves.

A session whose preparation or speech fails here is built anyway: it speaks what is
missing itself and reports its own error, as without this step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import RelaxgenError
from ..model import ClipRequest
from ..tts.base import multithreaded
from ..tts.cache import ClipCache
from ..tts.pool import mp_helpers, stop_mp_helpers
from ..tts.synth import Synthesizer
from .task import SessionTask, prepare_task

CHUNK = 64  # sessions spoken for at a time: the first MP3s come after their speech, not the run's
SPEECH_WORKER = "speech"  # how the step shows in progress reports: a worker's name and its label
SPEECH_LABEL = "speaking the new sentences of the next sessions"


def speech_first(todo: list[SessionTask], executor: Any,
                 reporter: Any) -> Iterator[tuple[list[SessionTask], int]]:
    """The tasks in the batches to build one after the other, each with the clips spoken for it
    before it is handed out (0 where nothing was spoken first)."""
    if not todo or not getattr(executor, "local", False):
        yield todo, 0
        return
    jobs = executor.workers if executor.workers > 1 else None  # -j 1: speech on every core, as a build
    batch = todo[:CHUNK]
    reqs = _requests(batch)
    if reqs is None:  # no multithreaded engine in its first sessions: none in the run
        yield todo, 0
        return
    start = 0
    while batch:
        yield batch, _speak(reqs or {}, jobs, reporter)
        start += CHUNK
        batch = todo[start:start + CHUNK]
        reqs = _requests(batch) if batch else {}


def _requests(tasks: Sequence[SessionTask]) -> dict[str, list[ClipRequest]] | None:
    """The clip requests of ``tasks`` for multithreaded engines, by cache folder; None when
    none of them uses such an engine (an empty dict: they do, but none could be prepared)."""
    out: dict[str, list[ClipRequest]] = {}
    synths: dict[str, Synthesizer] = {}
    seen = False
    for t in tasks:
        cache = str(t.options["cache_dir"])
        syn = synths.setdefault(cache, Synthesizer(ClipCache(cache)))
        try:
            reqs = prepare_task(t, syn).requests
            mine = [r for r in reqs if multithreaded(syn.engine(r.engine))]
        except RelaxgenError:
            continue  # the session's own build reports it
        seen = seen or bool(mine)
        out.setdefault(cache, []).extend(mine)
    return out if seen else None


def _speak(reqs: dict[str, list[ClipRequest]], jobs: int | None, reporter: Any) -> int:
    """Speak what the cache lacks of ``reqs`` with one worker per engine, then stop it and the
    helper processes started for it; the number of clips spoken."""
    spoken = 0
    for cache, batch in reqs.items():
        if not batch:
            continue
        helpers = mp_helpers()
        reporter.started(SPEECH_WORKER, SPEECH_LABEL)
        syn = Synthesizer(ClipCache(cache), jobs=jobs)
        try:
            syn.synthesize_all(batch, lambda i, n: reporter.progress(SPEECH_WORKER, SPEECH_LABEL, i / n))
        except RelaxgenError:
            pass  # the sessions speak what is missing and report the error themselves
        finally:
            syn.close()
            stop_mp_helpers(helpers)
        spoken += syn.stats.synthesized
    return spoken
