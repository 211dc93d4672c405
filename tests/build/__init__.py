"""Tests of the build stage (generator/build/): packs, courses, the up-to-date check, dry runs, stopping and faults."""
