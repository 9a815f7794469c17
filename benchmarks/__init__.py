"""Benchmarks printed by ``make bench``: one ``bench_*.py`` module per area, each with ``main()``."""
