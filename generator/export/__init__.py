"""Export: a finished session's MP3 tagged, and the files around it in a pack.

Takes the timeline's chapters and lines and a pack's tracks (``packdata``); gives ID3
tags with chapters and transcript (``tags``), ``.lrc``/``.srt`` sidecars (``sidecars``),
``playlist.m3u8`` (``playlist``), the offline player page (``page``, ``templates/``) with
its practice diary (``diarypage``), the cover (``cover``), the calendar of practice
reminders (``reminders``) and safe file names (``names``). Reads the diaries listeners
export back (``diary``) into the therapist's report (``diaryreport``). Never imports
``tts`` or ``build``.
"""

__all__ = ["cover", "diary", "diarypage", "diaryreport", "names", "packdata", "page", "playlist", "reminders",
           "sidecars", "tags"]
