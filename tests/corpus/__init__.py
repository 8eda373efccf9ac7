"""False-fail corpus: sound projects written unlike the reference, with expected verdicts."""
