"""Tests of the export stage (generator/export/): tags, covers, names, sidecars, playlists, the pack page, reminders."""
