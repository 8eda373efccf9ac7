"""Keep pytest out of the corpus projects.

Every ``tests/corpus/<name>/`` folder is a complete project with its own ``tests/``
package (needing its own dependencies and a database); they are inputs of the harness,
scored by ``test_corpus.py``, never part of this test suite.
"""

collect_ignore_glob = ["*/*"]
