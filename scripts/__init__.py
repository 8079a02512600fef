"""The checkout's development tools, importable from the repository's root as ``scripts.*``
(pytest, ``python -m bench.run`` and ``python -m scripts.<tool>`` all run from there)."""
