"""Batch: many sessions - packs for one listener, courses for many - run, recorded, resumed.

Takes pack and course manifests and listener tables (``manifest``); plans one task per
session (``pack``, ``task``: plain, picklable data; ``run_task`` builds one through
:mod:`generator.api` in any process), runs them (``course``) on an executor
(``executors``: inline, a process pool or a Dask cluster, stopping cleanly on a signal)
under the output folder's lock (``lock``), and keeps the build state that makes reruns
incremental (``buildstate``); ``dryrun`` says what a run would do without speaking or
encoding. The only stage that imports the others.
"""

__all__ = ["buildstate", "course", "dryrun", "executors", "lock", "manifest", "pack", "task"]
