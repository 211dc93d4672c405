"""Audio: clips, beds and cues in, one mastered MP3 stream out.

Takes a Timeline and its speech clips; mixes speech, pauses, cues and ambient beds
(``mixer``, ``beds``, ``bedgen``, ``cues``, ``clips``) with ducking and a limiter
(``dynamics``) at one loudness (``loudness``, ``master``), and encodes it with
libmp3lame through ffmpeg (``encode``), two parts joined gaplessly on two cores
(``mp3join``; ``mpeg`` reads MP3 frame headers, for it and for the build's up-to-date
check). ``ffmpeg`` finds the binary and is the one decoder of sound files (a bed,
a cue, an MP3 read back); ``levels`` (the sample rate ``SR``, gains, levels, ramps, the
true-peak interpolator) and ``filters`` (FIR design, resampling, sliding extremes, biquads)
are the shared signal helpers (without SciPy's large modules). Never imports a speech
engine (``tts``), Jinja, ``export`` or ``batch``.
"""

__all__ = ["bedgen", "beds", "clips", "cues", "dynamics", "encode", "ffmpeg", "filters", "levels", "loudness",
           "master", "mixer", "mp3join", "mpeg"]
