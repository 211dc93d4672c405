"""Tests of the script stage (generator/script/): rendering, markers, timing, the built-in library."""
