"""The script language: a template and a listener's profile in, a timed plan out.

Takes a Jinja template (``render``, ``jinjaenv``: the sandbox, includes, front matter)
and the listener's profile; gives Segments (``grammar``: one marker, ``markers``: the
script text), the template helpers (``library``: muscle groups, formulas), the sound
files a script may read (``sounds``), the daily-practice schedule and closing line
(``practice``), and the Timeline with absolute, fitted times (``timeline``, ``values``,
``planio`` for its JSON and table). No I/O beyond reading templates, looking up sound
files and the machine's time zone. Never imports ``tts``, ``audio``, ``export`` or ``build``.
"""

__all__ = ["grammar", "jinjaenv", "library", "markers", "planio", "practice", "render", "sounds", "timeline", "values"]
