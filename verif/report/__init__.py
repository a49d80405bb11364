"""The report: sweeps of every claim, the exhibits, tables, figures and HTML/Markdown/JSON.

``verif report`` (see :mod:`verif.report.cli`) runs :func:`verif.report.build.make_report`:
jobs (:mod:`verif.report.jobs`) from the claim sweeps (:mod:`verif.report.sweep`) and the
exhibit registry (:mod:`verif.exhibits`) run on an executor (:mod:`verif.report.executors`:
a local process pool or a Dask cluster); the records go to ``results.json`` (schema in
``verif/report/schema.json``), ``report.md`` and ``index.html`` (:mod:`verif.report.render`).
"""
