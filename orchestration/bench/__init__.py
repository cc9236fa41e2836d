"""Benchmarks (``dajiandu bench <what>``): figures and ratios against a reference measured in the
same run.

:mod:`~orchestration.bench.harness` is what every bench uses (timed child processes and their peak
memory, sample sources, aligned tables, saved figures); each other module is one bench, its
``bench_<what>`` function and the code of its children: ``ingest``, ``link``, ``quality``,
``gold``, ``deid``. Nothing is imported here, so that a child starts light.

A bench on generated data, ``bench_<what>(sizes, workdir, seed)``, takes the roster sizes (in
cadres), a scratch folder (each size's sources and warehouse in ``<size>/``, reused and then left
for inspection; the figures in ``bench-<what>.json``) and the generator's seed; it prints its
figures as it measures them and returns 0, the command's exit status.
"""
