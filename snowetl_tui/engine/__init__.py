"""The job engine: a per-workspace daemon that owns the job queue (DESIGN §5).

Submodules stay importable on their own: ``paths`` and ``protocol`` are light (clients use them
before any engine exists); ``scheduler``, ``server`` and ``daemon`` pull in the load pipeline.
Nothing here imports Textual.
"""
