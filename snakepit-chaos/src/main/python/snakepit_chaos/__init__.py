"""Snakepit chaos: an adapter whose workers crash, hang, leak or corrupt their channel on request, to
test how a pool copes. Load ``snakepit_chaos.adapter:ChaosAdapter``; adapter.py tells how to choose
a misbehaviour, per call or through CHAOS_* variables.
"""
from .adapter import ChaosAdapter

__all__ = ["ChaosAdapter"]
