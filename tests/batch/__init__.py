"""Tests of the batch stage (generator/batch/): packs, courses, the up-to-date check, dry runs, stopping and faults."""
