"""Tests of the audio stage (generator/audio/): mixing, beds, cues, loudness, encoding."""
