"""Tests of the harness machinery: runner, scoring, reports, CLI and bad inputs."""
