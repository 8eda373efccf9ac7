"""Tests of the perf lab: the variant registry, the table and one short run."""
