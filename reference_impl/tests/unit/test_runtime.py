"""Garbage-collector tuning."""

from __future__ import annotations

import gc

from app.core.runtime import tune_garbage_collector


def test_start_up_objects_are_frozen_and_threshold_raised() -> None:
    before = gc.get_threshold()
    try:
        tune_garbage_collector(12_345)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (12_345, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
