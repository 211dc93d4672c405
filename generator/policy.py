"""Policy numbers: the lengths and timings every session keeps, named in one place.

Part of the core: imports nothing, so the profile, the command line and every stage can
read it without pulling in a stage.
"""

from __future__ import annotations

# ---------------------------------------------------------------- session length

MIN_SESSION_MIN = 0.5  # the shortest target length in minutes (--minutes, a profile's minutes)
MAX_SESSION_MIN = 180  # the longest session in minutes: the largest target (--minutes, a profile,
#                        a manifest) and the longest a script's timeline may last

# ---------------------------------------------------------------- the timeline's ends

LEAD_IN_MS = 1500.0  # silence before the first sound of a session (the mix fades in over it)
TAIL_MS = 4000.0  # silence after the last sound
SLEEP_TAIL_MS = 20000.0  # after the last sound of a sleep session (profile ``sleep``): time to drift off

# ---------------------------------------------------------------- the mix's end

FADE_OUT_MS = 4000.0  # the whole mix fades out over its last milliseconds
SLEEP_FADE_OUT_MS = 15000.0  # the same for a sleep session: a slow fade, nothing ends abruptly

# ---------------------------------------------------------------- reading sound files

SOUND_CHECK_S = 1.0  # seconds of each sound file decoded to check it before any speech is made
CUE_MAX_S = 30.0  # the longest cue file in seconds (audio.cues.file_cue refuses a longer one);
#                  timing a cue decodes at most this much of it

# A session's progress as a share of its build: speaking its clips, then mixing and encoding
PROGRESS_STAGES = {"speech": (0.0, 0.4), "mix": (0.4, 1.0)}

# ---------------------------------------------------------------- loudness

TARGET_LUFS = -16.0  # integrated loudness of every session (EBU R128 measure; podcasts' usual -16)
