"""One session: a template and a listener's profile in, a timed plan or an MP3 out.

Conducts one session through the stages. ``prepare`` renders and parses the template for
the listener, checks the voice and the sound files it names and resolves its speech to clip
requests (:class:`~.prepare.Prepared`); ``timing`` chooses the optional pieces and fits the
elastic pauses to the target length, from the calibrated estimate and then from the real
clips, and lays out the timeline; ``build`` speaks, mixes, encodes and tags one MP3,
atomically. The lengths and timings it keeps are named in :mod:`generator.policy`.
:mod:`generator.api` is its face for library users; the ``build`` stage (packs, courses)
runs it once per session. Never imports ``build``, :mod:`generator.api` or the command line.
"""

__all__ = ["build", "prepare", "timing"]
