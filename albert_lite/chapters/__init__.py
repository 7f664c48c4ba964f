"""What the chapters call beyond the package's core, one module per job.

The experiments: ``experiment_settings`` (how big each one is, per scale), ``training_runs`` (one seed, one
budget, side by side), ``ablations`` (Tables 3, 4, 11), ``sentence_tasks`` (Table 5, pairs with room),
``smoothness`` (Figure 1), ``plateau`` (what keeps a small model on the unigram plateau), with the
``baselines`` and ``probes`` they are measured against and the ``readings`` generated from their numbers.
Around them: ``scale``, ``sizing``, ``profiling``, ``surgery``, ``retrieval``, ``exercises``, ``widgets``,
``tables`` (wide tables in parts that fit the page).

Import the module a chapter needs (``from albert_lite.chapters import ablations``); nothing is imported
here, so a chapter without widgets never loads anywidget.
"""
