"""Speech engines behind one small interface, and the synthesis cache."""

from .base import Engine, EngineVoice, get_engine

__all__ = ["Engine", "EngineVoice", "get_engine"]
