"""alphago: AlphaGo-Zero-style self-play for Go on small boards, with bits-per-FLOP accounting."""
__version__ = "0.1.0"
