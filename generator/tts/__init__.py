"""Speech: voice profiles and text in, checked and cached speech clips out.

Takes the clip requests of a plan (voice, rate, text); resolves voice profiles to the
best installed voice (``voices``; ``voicestore`` and ``voicedownload`` add Piper voices),
prepares text for the ear (``textnorm``) and speaks it with an engine behind a small
interface (``base``: espeak-ng through pyttsx3, Piper, a fake for tests) in worker
processes with deadlines (``pool``, ``worker``), each clip once per cache key
(``synth``, ``cache``, ``claims``). Never imports ``export`` or ``build``.
"""

from .base import Engine, EngineVoice, get_engine

__all__ = ["Engine", "EngineVoice", "get_engine"]
