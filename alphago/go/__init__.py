"""The Go engine: numba kernels over batched boards. Knows nothing of search, torch or ray."""
from .batch_ops import seed_kernels as seed
from .board import BLACK, EMPTY, REASONS, WHITE
from .coords import CoordinateError, from_gtp, to_gtp
from .diagram import from_diagram, to_diagram
from .rules import Rules
from .state import GoBatch, GoState, IllegalMoveError

__all__ = ["BLACK", "WHITE", "EMPTY", "REASONS", "Rules", "GoBatch", "GoState", "IllegalMoveError",
           "CoordinateError", "from_gtp", "to_gtp", "from_diagram", "to_diagram", "seed"]
