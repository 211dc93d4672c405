"""Tests of the speech stage (generator/tts/): engines, worker pool, cache, voice profiles and voice management, text for the ear."""
