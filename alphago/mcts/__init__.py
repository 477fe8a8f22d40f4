"""Batched MCTS (PUCT or Gumbel root), game-agnostic: it gets arrays and an evaluator."""
from .config import SearchConfig
from .search import Search
from .types import Environment, Evaluator, Observation, RolloutEnvironment, SearchResult

__all__ = ["SearchConfig", "Search", "Environment", "Evaluator", "Observation", "RolloutEnvironment",
           "SearchResult"]
