"""The eval harness: scores a generated project against evals/checklist.yaml."""
